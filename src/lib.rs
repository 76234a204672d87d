//! specbench: a full-screen terminal workbench for coding with LLMs the disciplined way:
//! a pinned spec, a conversation with a context gauge, the generated code, and the tests.

pub mod app;
pub mod assets;
pub mod check;
pub mod cli;
pub mod code;
pub mod commands;
pub mod config;
pub mod context;
pub mod demo;
pub mod effects;
pub mod files;
pub mod llm;
pub mod logging;
pub mod model;
pub mod render;
pub mod runner;
pub mod secrets;
pub mod session;
pub mod spec;
pub mod startup;
pub mod state;
pub mod stdio;
pub mod terminal;
pub mod text_pos;
pub mod theme;
pub mod tools;
pub mod ui;
pub mod watch;
pub mod workspace;
