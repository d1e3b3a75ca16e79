//! Sweeps over parameter grids: the grid and its cost-balanced shards ([`grid`]), the
//! append-only journal behind `--resume` ([`journal`]), and the probability tables
//! ([`table`]).

pub mod engine;
pub mod grid;
pub mod journal;
pub mod table;
pub mod training;
