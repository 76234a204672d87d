//! What the loop journals: each record goes to the effects layer as a command.

use crate::model::conversation::MessageStatus;
use crate::model::{Cmd, Model};
use crate::runner::result::TestStatus;
use crate::session::journal::{EndStatus, Record};

impl Model {
    /// A journal record for the effects layer to append.
    pub(crate) fn journal(record: Record) -> Cmd {
        Cmd::Journal(record)
    }

    /// The record that ends a reply, for the journal.
    pub(crate) fn end_record(turn: u64, status: &MessageStatus, usage: crate::llm::Usage) -> Cmd {
        let (status, error) = match status {
            MessageStatus::Complete | MessageStatus::Streaming => (EndStatus::Complete, None),
            MessageStatus::Interrupted(why) => (EndStatus::Interrupted, Some(why.clone())),
            MessageStatus::Damaged(why) => (EndStatus::Damaged, Some(why.clone())),
            MessageStatus::Failed(why) => (EndStatus::Failed, Some(why.clone())),
        };
        Self::journal(Record::End {
            turn,
            status,
            error,
            usage,
        })
    }

    /// The run that just finished, for the journal.
    pub(crate) fn run_record(&self) -> Option<Cmd> {
        let last = self.results.last.as_ref()?;
        let r = &last.report;
        let count = |s| r.results.iter().filter(|t| t.status == s).count();
        Some(Self::journal(Record::Run {
            number: last.number,
            passed: count(TestStatus::Passed),
            failed: count(TestStatus::Failed),
            skipped: count(TestStatus::Skipped),
            failing: r
                .results
                .iter()
                .filter(|t| t.status == TestStatus::Failed)
                .take(50)
                .map(|t| t.name.clone())
                .collect(),
            exit_code: r.exit_code,
            timed_out: r.timed_out,
        }))
    }
}
