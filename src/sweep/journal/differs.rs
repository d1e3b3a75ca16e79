//! The first setting in which a journal's header and a command's differ, said in the
//! command's words, so that a refused `--resume` (or a shard of other flags) says what to
//! change.
//!
//! ```
//! use serde_json::json;
//! use vanish::sweep::journal::first_difference;
//! let axes = |d: [f64; 2]| json!({"journal": "vanish table", "grid": {"seed": 1,
//!     "axes": [{"name": "n", "values": [2.0]}, {"name": "depth", "values": d}]}});
//! assert_eq!(first_difference(&axes([10.0, 20.0]), &axes([10.0, 20.0])), None);
//! assert_eq!(
//!     first_difference(&axes([10.0, 20.0]), &axes([10.0, 30.0])).unwrap(),
//!     "--depth differs: the journal has 10, 20, the command 10, 30"
//! );
//! ```

use serde_json::Value;

/// What differs first between the header `journal` holds and the `command`'s, or `None`
/// when they are the same. The parameters of a grid come first (in the grid's order),
/// then the other settings by name.
pub fn first_difference(journal: &Value, command: &Value) -> Option<String> {
    if journal == command {
        return None;
    }
    Some(differs("", journal, command).unwrap_or_else(|| {
        format!("the journal is of another run: it has {journal}, the command {command}",)
    }))
}

/// The flag (or the words) that set `key` of a header.
fn setting(key: &str) -> String {
    match key {
        "journal" => "the command (vanish table or vanish train)".into(),
        "methods" => "--method".into(),
        "shard" => "--shard".into(),
        "cells" => "the number of cells".into(),
        "block_samples" | "version" => "the vanish version".into(),
        "data" => "the training data (--task, --data, --examples, --input-dim or --seed)".into(),
        _ => format!("--{}", key.replace('_', "-")),
    }
}

/// A value as a user gave it: lists joined by commas, whole numbers without ".0", text
/// without quotes.
fn shown(v: &Value) -> String {
    match v {
        Value::Null => "none".into(),
        Value::String(s) => s.clone(),
        Value::Number(x) => match x.as_f64() {
            Some(f) if x.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => {
                format!("{}", f as i64)
            }
            _ => x.to_string(),
        },
        Value::Array(a) => a.iter().map(shown).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn said(what: &str, a: &Value, b: &Value) -> String {
    // A setting a journal leaves out when it has its default value.
    let shown = |v: &Value| match (what, v) {
        ("--precision", Value::Null) => "f64 (the default)".to_string(),
        _ => shown(v),
    };
    format!(
        "{what} differs: the journal has {}, the command {}",
        shown(a),
        shown(b)
    )
}

/// The first difference under `key`.
fn differs(key: &str, a: &Value, b: &Value) -> Option<String> {
    if a == b {
        return None;
    }
    match (key, a, b) {
        (_, Value::Object(x), Value::Object(y)) => {
            // A grid's parameters first: they are what a user changes most.
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            // The training data last: it follows from other settings (the seed among them).
            keys.sort_by_key(|k| {
                (
                    k.as_str() != "axes",
                    k.as_str() != "grid",
                    k.as_str() == "data",
                    *k,
                )
            });
            keys.dedup();
            let null = Value::Null;
            keys.into_iter()
                .find_map(|k| differs(k, x.get(k).unwrap_or(&null), y.get(k).unwrap_or(&null)))
        }
        ("axes", Value::Array(x), Value::Array(y)) => axes(x, y),
        ("cells", Value::Array(x), Value::Array(y)) => cells(x, y),
        _ => Some(said(&setting(key), a, b)),
    }
}

/// The first parameter of a grid whose values differ.
fn axes(x: &[Value], y: &[Value]) -> Option<String> {
    let name = |a: &Value| a["name"].as_str().unwrap_or_default().to_string();
    for a in y {
        let theirs = x.iter().find(|b| name(b) == name(a));
        let values = theirs.map_or(Value::Null, |t| t["values"].clone());
        if values != a["values"] {
            return Some(said(&setting(&name(a)), &values, &a["values"]));
        }
    }
    x.iter()
        .find(|b| !y.iter().any(|a| name(a) == name(b)))
        .map(|b| said(&setting(&name(b)), &b["values"], &Value::Null))
}

/// The first setting that differs in the first cell of a training map that differs
/// (each cell is recorded as `ACTIVATION TrainSpec { name: value, … }`).
fn cells(x: &[Value], y: &[Value]) -> Option<String> {
    if x.len() != y.len() {
        return Some(format!(
            "the map differs: the journal has {} cells, the command {} (compare --sigma-w, \
             --n, --depth, --width and --lr)",
            x.len(),
            y.len()
        ));
    }
    let (a, b) = x.iter().zip(y).find(|(a, b)| a != b)?;
    let (a, b) = (
        a.as_str().unwrap_or_default(),
        b.as_str().unwrap_or_default(),
    );
    let words = |s: &str| -> Vec<String> {
        s.split([',', '{', '}'])
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty())
            .collect()
    };
    let (wa, wb) = (words(a), words(b));
    let at = wa.iter().zip(&wb).position(|(p, q)| p != q);
    match at.map(|i| (&wa[i], &wb[i])) {
        Some((p, q)) => match (p.split_once(": "), q.split_once(": ")) {
            (Some((k, u)), Some((l, v))) if k == l => Some(format!(
                "{} differs: the journal has {u}, the command {v}",
                setting(k)
            )),
            _ if at == Some(0) => Some(format!(
                "the activation differs: the journal has {}, the command {}",
                p.split(' ').next().unwrap_or(p),
                q.split(' ').next().unwrap_or(q)
            )),
            _ => Some(format!(
                "a cell differs: the journal has '{a}', the command '{b}'"
            )),
        },
        None => Some(format!(
            "a cell differs: the journal has '{a}', the command '{b}'"
        )),
    }
}
