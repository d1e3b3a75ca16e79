//! A small recursive-descent parser for distribution specs; errors carry the byte offset
//! of the bad token so the caller can point at it.

use super::PreActivation;

#[derive(Debug)]
pub(super) struct ParseError {
    pub at: usize,
    pub message: String,
}

/// Deepest accepted nesting of mixtures (sampling recurses once per level).
const MAX_NESTING: usize = 8;

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    nesting: usize,
}

pub(super) fn parse(src: &str) -> Result<PreActivation, ParseError> {
    let mut p = Parser {
        src,
        pos: 0,
        nesting: 0,
    };
    let d = p.spec()?;
    p.skip_ws();
    if p.pos < src.len() {
        return Err(p.error(p.pos, "unexpected text after the distribution"));
    }
    Ok(d)
}

impl Parser<'_> {
    fn error(&self, at: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            at,
            message: message.into(),
        }
    }

    fn skip_ws(&mut self) {
        let rest = &self.src[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn expect(&mut self, c: char, context: &str) -> Result<(), ParseError> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            Ok(())
        } else {
            let found = match self.peek() {
                Some(f) => format!("'{f}'"),
                None => "the end".to_string(),
            };
            Err(self.error(self.pos, format!("expected '{c}' {context}, found {found}")))
        }
    }

    fn name(&mut self) -> (usize, &str) {
        self.skip_ws();
        let start = self.pos;
        let len = self.src[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(self.src.len() - start);
        self.pos += len;
        (start, &self.src[start..start + len])
    }

    fn number(&mut self, what: &str) -> Result<f64, ParseError> {
        self.skip_ws();
        let start = self.pos;
        let len = self.src[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-')))
            .unwrap_or(self.src.len() - start);
        let text = &self.src[start..start + len];
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => {
                self.pos += len;
                Ok(v)
            }
            _ => Err(self.error(
                start,
                if text.is_empty() {
                    format!("expected a number for {what}")
                } else {
                    format!("'{text}' is not a finite number ({what})")
                },
            )),
        }
    }

    /// `(a, b, …)` with exactly the named arguments.
    fn args(&mut self, family: &str, names: &[&str]) -> Result<Vec<f64>, ParseError> {
        self.expect('(', &format!("after '{family}'"))?;
        let mut out = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            out.push(self.number(&format!("{family}'s {name}"))?);
            let (c, ctx) = if i + 1 < names.len() {
                (
                    ',',
                    format!(
                        "after {family}'s {name}; {family} takes ({})",
                        names.join(",")
                    ),
                )
            } else {
                (')', format!("to close {family}({})", names.join(",")))
            };
            self.expect(c, &ctx)?;
        }
        Ok(out)
    }

    fn spec(&mut self) -> Result<PreActivation, ParseError> {
        let (start, name) = self.name();
        let name = name.to_ascii_lowercase();
        let built = match name.as_str() {
            "normal" | "gaussian" => {
                let a = self.args("normal", &["μ", "σ"])?;
                PreActivation::normal(a[0], a[1])
            }
            "uniform" => {
                let a = self.args("uniform", &["lo", "hi"])?;
                PreActivation::uniform(a[0], a[1])
            }
            "laplace" => {
                let a = self.args("laplace", &["μ", "b"])?;
                PreActivation::laplace(a[0], a[1])
            }
            "student-t" | "student_t" | "t" => {
                let a = self.args("student-t", &["ν", "scale"])?;
                PreActivation::student_t(a[0], a[1])
            }
            "logistic" => {
                let a = self.args("logistic", &["μ", "s"])?;
                PreActivation::logistic(a[0], a[1])
            }
            "point" => {
                let a = self.args("point", &["x0"])?;
                PreActivation::point(a[0])
            }
            "mix" => return self.mixture(start),
            "" => return Err(self.error(start, "expected a distribution name")),
            other => return Err(self.error(start, format!("unknown distribution '{other}'"))),
        };
        built.map_err(|m| self.error(start, format!("{name}: {m}")))
    }

    fn mixture(&mut self, start: usize) -> Result<PreActivation, ParseError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.error(start, format!("mixtures nest at most {MAX_NESTING} deep")));
        }
        self.expect('(', "after 'mix'")?;
        let mut parts = Vec::new();
        loop {
            let w = self.number("a mixture weight (write w*D)")?;
            self.expect(
                '*',
                "between a mixture weight and its distribution (write w*D)",
            )?;
            parts.push((w, self.spec()?));
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(')') => {
                    self.pos += 1;
                    break;
                }
                _ => {
                    return Err(
                        self.error(self.pos, "expected ',' or ')' after a mixture component")
                    );
                }
            }
        }
        self.nesting -= 1;
        PreActivation::mixture(parts).map_err(|m| self.error(start, format!("mix: {m}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_at(src: &str) -> usize {
        parse(src).unwrap_err().at
    }

    #[test]
    fn parses_every_family_and_round_trips() {
        for spec in [
            "normal(0,1)",
            "uniform(-4,4)",
            "laplace(0,0.7)",
            "student-t(3,1)",
            "logistic(0.5,2)",
            "point(0.25)",
            "mix(0.8*normal(0,0.5), 0.2*uniform(-4,4))",
            "mix(0.5*mix(0.5*point(1), 0.5*point(2)), 0.5*laplace(0,1))",
        ] {
            let d = parse(spec).unwrap();
            let again = parse(&d.to_string()).unwrap();
            assert_eq!(d.to_string(), again.to_string(), "{spec}");
        }
        assert!(parse("  Normal( 1e-3 , 2E0 ) ").is_ok());
    }

    /// Every printed spec parses back to the same distribution (the same fields, bit for
    /// bit, compared through `Debug`), extremes and mixtures of any weights included.
    #[test]
    fn every_printed_spec_parses_back_to_the_same_distribution() {
        let mut specs: Vec<String> = [
            "normal(1e308,1e-308)",
            "normal(-0,5e-324)",
            "uniform(-1e300,1e300)",
            "laplace(0.1,0.30000000000000004)",
            "student-t(1e-3,1e300)",
            "logistic(-7,1e-10)",
            "point(1.7976931348623157e308)",
            "mix(1e308*normal(0,1), 1e308*normal(0,1))",
            "mix(1.7976931348623157e308*point(1), 1.7976931348623157e308*point(2))",
            "mix(1e-300*normal(0,1), 1*point(2))",
            "mix(3*normal(0,1), 1*uniform(-1,1), 0.1*laplace(0,1))",
            "mix(1*mix(1e308*point(1), 1*point(2)), 2*mix(0.1*normal(0,1), 0.2*point(0)))",
        ]
        .map(String::from)
        .to_vec();
        for k in 0..40 {
            let w = [0.1, 1.0, 3.0, 1e-200, 1e200, 7e307][k % 6];
            let v = 1.0 + k as f64 / 7.0;
            specs.push(format!(
                "mix({w}*normal({v},{v}), {v}*uniform(-{v},{}), {}*student-t({v},2))",
                v + 1.0,
                w * 0.5
            ));
        }
        for spec in &specs {
            let d = parse(spec).unwrap_or_else(|e| panic!("{spec}: {}", e.message));
            let printed = d.to_string();
            let again = parse(&printed).unwrap_or_else(|e| panic!("{printed}: {}", e.message));
            assert_eq!(format!("{d:?}"), format!("{again:?}"), "{spec} → {printed}");
            if let PreActivation::Mixture(m) = &d {
                let sum: f64 = m.components().iter().map(|c| c.0).sum();
                assert!(
                    (sum - 1.0).abs() < 1e-12 && sum.is_finite(),
                    "{spec}: {sum}"
                );
            }
        }
        // Shares that underflow beside the largest weight are refused, not set to 0.
        assert!(parse("mix(1e308*point(1), 5e-324*point(2))").is_err());
    }

    #[test]
    fn errors_point_at_the_bad_token() {
        assert_eq!(err_at("normal(0 1)"), 9);
        assert_eq!(err_at("nromal(0,1)"), 0);
        assert_eq!(err_at("normal(0,x)"), 9);
        assert_eq!(err_at("normal(0,1"), 10);
        assert_eq!(err_at("normal(0,1) junk"), 12);
        assert_eq!(err_at("mix(0.5 normal(0,1))"), 8);
        assert_eq!(err_at("normal(0,-1)"), 0);
        assert_eq!(err_at("uniform(2,1)"), 0);
        assert_eq!(err_at("student-t(0,1)"), 0);
        assert_eq!(err_at("mix(0*normal(0,1))"), 0);
        assert_eq!(err_at("normal(0,inf)"), 9);
        assert_eq!(err_at(""), 0);
    }
}
