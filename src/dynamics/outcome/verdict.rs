//! The verdict: the rule on the cross-validated AUC interval against [`USEFUL_AUC`].

/// The AUC that counts as a useful prediction of a run's fate from its initial state.
/// 0.5 is a coin; 0.6 means a vanishing run outranks a healthy one 60 % of the time.
pub const USEFUL_AUC: f64 = 0.6;

/// What the cross-validated AUC says, by the rule in [`Verdict::rule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The whole AUC interval is above [`USEFUL_AUC`].
    Predictive,
    /// The whole AUC interval is below [`USEFUL_AUC`].
    LittlePredictivePower,
    /// The interval contains [`USEFUL_AUC`]: more runs are needed to tell.
    Inconclusive,
}

impl Verdict {
    /// The rule, as printed beside the verdict.
    ///
    /// ```
    /// assert!(vanish::dynamics::outcome::Verdict::rule().contains("'predictive' if lo > 0.6"));
    /// ```
    pub fn rule() -> String {
        format!(
            "cross-validated AUC with its 95 % DeLong interval [lo, hi]: 'predictive' if \
             lo > {USEFUL_AUC}, 'little predictive power' if hi < {USEFUL_AUC}, \
             'inconclusive' otherwise (0.5 = no skill)"
        )
    }

    /// The verdict for an AUC interval.
    ///
    /// ```
    /// use vanish::dynamics::outcome::Verdict;
    /// assert_eq!(Verdict::from_interval((0.62, 0.70)), Verdict::Predictive);
    /// assert_eq!(Verdict::from_interval((0.45, 0.55)), Verdict::LittlePredictivePower);
    /// assert_eq!(Verdict::from_interval((0.55, 0.65)), Verdict::Inconclusive);
    /// ```
    pub fn from_interval((lo, hi): (f64, f64)) -> Self {
        if lo > USEFUL_AUC {
            Verdict::Predictive
        } else if hi < USEFUL_AUC {
            Verdict::LittlePredictivePower
        } else {
            Verdict::Inconclusive
        }
    }

    /// The verdict in words.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Predictive => "predictive",
            Verdict::LittlePredictivePower => "little predictive power",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}
