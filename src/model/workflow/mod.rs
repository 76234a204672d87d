//! The loop's workflow in this session, apart from `session/` (which persists it): the stepper
//! (`stepper`), the fix loop (`fix`), corrections and poisoning (`corrections`), the fresh-session
//! handoff (`fresh`; its review is `model::lessons`), a session read back (`resume`), what is
//! journaled (`records`) and the messages the loop writes (`prompts`). Its state is
//! `Model::session` (`state`).

mod corrections;
mod fix;
mod fresh;
mod prompts;
mod records;
mod resume;
mod state;
mod stepper;

pub use prompts::{fix_prompt, lessons_part};
pub use state::{Attempt, FixLoop, Judging, Verdict, Workflow};

#[cfg(test)]
mod tests;
