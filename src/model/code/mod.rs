//! The Code pane: the files in scope, the file shown (highlighted off the UI task), and `/`
//! search in it.

mod state;

pub use state::CodePane;
