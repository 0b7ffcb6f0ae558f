//! impact-ledger: an event-sourced, hash-chained ledger for a municipality's social-economy
//! figures. The binary is `src/main.rs`; this library is what it and the tests share.

pub mod access_log;
pub mod as_of;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod erasure;
pub mod http;
pub mod metrics;
pub mod reports;
pub mod serve;
pub mod store;
pub mod transparency;
pub mod vault;
pub mod web;
