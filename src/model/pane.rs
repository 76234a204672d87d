//! The four panes, who has the keyboard, and what a pane's load can end in.

/// The four panes, in their `1`-`4` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pane {
    Spec,
    Conversation,
    Code,
    Results,
}

impl Pane {
    /// All panes in order.
    pub const ALL: [Pane; 4] = [Pane::Spec, Pane::Conversation, Pane::Code, Pane::Results];

    /// 0-based position in [`Pane::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The pane's title.
    pub fn title(self) -> &'static str {
        match self {
            Pane::Spec => "Spec",
            Pane::Conversation => "Conversation",
            Pane::Code => "Code",
            Pane::Results => "Results",
        }
    }

    pub(crate) fn cycle(self, forward: bool) -> Pane {
        let i = self.index() + if forward { 1 } else { 3 };
        Pane::ALL[i % 4]
    }
}

/// Who has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Single keys are commands.
    Normal,
    /// The composer has the keyboard.
    Compose,
}

/// Something a file load can end in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Loaded<T> {
    Loading,
    Ready(T),
    Failed(String),
}
