//! The grid's fingerprint: its resolved JSON, as recorded in journals and manifests, and the
//! grid rebuilt from it.

use serde_json::{Value, json};

use super::axes::Axis;
use super::{Grid, NetworkSettings};
use crate::error::ConfigError;
use crate::methods::Method;

impl Grid {
    /// The resolved grid, as recorded in journals and manifests; two grids with equal
    /// JSON compute the same numbers.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "activation": self.activation,
            "dist": self.dist,
            "axes": self.axes.iter().map(|a| json!({"name": a.name, "values": a.values})).collect::<Vec<_>>(),
            "seed": self.seed,
            "precision": self.precision.name(),
            "methods": self.methods.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            "cells": self.cells(),
            "block_samples": if self.network.is_some() { 1 } else { crate::model::experiment::BLOCK_SAMPLES },
            "version": env!("CARGO_PKG_VERSION"),
        });
        // Recorded where changed (journals of earlier runs have no such keys).
        let a = self.accuracy;
        let default = crate::methods::bracket::Accuracy::default();
        if (a.tol, a.memory_mb) != (default.tol, default.memory_mb) {
            v["exact_tol"] = json!(a.tol);
            v["exact_memory_mb"] = json!(a.memory_mb);
        }
        if let Some(r) = a.rel_err {
            v["is_rel_err"] = json!(r);
        }
        if let Some(net) = self.network {
            v["network"] = json!({
                "quantity": net.quantity.name(),
                "init": net.init.to_string(),
                "input_dim": net.input_dim,
            });
        }
        v
    }

    /// The grid recorded by [`Grid::to_json`] (in a journal or manifest), rebuilt and
    /// validated; refused when it was made by another version of the tool.
    pub fn from_json(v: &Value) -> Result<Self, ConfigError> {
        let bad =
            |what: &str| ConfigError::new("DIR", format!("the recorded grid has no valid {what}"));
        let text = |k: &str| v[k].as_str().ok_or_else(|| bad(k));
        if text("version")? != env!("CARGO_PKG_VERSION") {
            return Err(ConfigError::new(
                "DIR",
                format!(
                    "made by vanish {}, this is {}",
                    text("version")?,
                    env!("CARGO_PKG_VERSION")
                ),
            ));
        }
        let axes = v["axes"]
            .as_array()
            .ok_or_else(|| bad("axes"))?
            .iter()
            .map(|a| {
                let name = a["name"].as_str().ok_or_else(|| bad("axis name"))?;
                let values: Option<Vec<f64>> = a["values"]
                    .as_array()
                    .map(|vs| vs.iter().filter_map(Value::as_f64).collect());
                Ok(Axis::new(name, values.ok_or_else(|| bad("axis values"))?))
            })
            .collect::<Result<Vec<_>, ConfigError>>()?;
        let methods: Vec<String> = v["methods"]
            .as_array()
            .ok_or_else(|| bad("methods"))?
            .iter()
            .filter_map(|m| m.as_str().map(str::to_string))
            .collect();
        let methods = if methods.is_empty() {
            Vec::new()
        } else {
            Method::parse_list(&methods.join(","))?
        };
        let network = match v.get("network") {
            None => None,
            Some(n) => Some(NetworkSettings {
                quantity: n["quantity"]
                    .as_str()
                    .ok_or_else(|| bad("quantity"))?
                    .parse()?,
                init: n["init"].as_str().ok_or_else(|| bad("init"))?.parse()?,
                input_dim: match &n["input_dim"] {
                    Value::Null => None,
                    d => Some(d.as_u64().ok_or_else(|| bad("input_dim"))? as usize),
                },
            }),
        };
        let grid = Grid::with_source(
            text("activation")?,
            text("dist")?,
            network,
            axes,
            v["seed"].as_u64().ok_or_else(|| bad("seed"))?,
            text("precision")?.parse()?,
            methods,
            true,
        )?;
        let default = crate::methods::bracket::Accuracy::default();
        let number = |k: &str, d: f64| match &v[k] {
            Value::Null => Ok(d),
            x => x.as_f64().ok_or_else(|| bad(k)),
        };
        let accuracy = crate::methods::bracket::Accuracy::new(
            number("exact_tol", default.tol)?,
            number("exact_memory_mb", default.memory_mb)?,
        )
        .and_then(|a| a.with_rel_err(v["is_rel_err"].as_f64()))
        .map_err(|_| bad("accuracy (exact_tol, exact_memory_mb, is_rel_err)"))?;
        let grid = grid.with_accuracy(accuracy);
        if &grid.to_json() != v {
            return Err(bad("form (it does not rebuild to itself)"));
        }
        Ok(grid)
    }
}
