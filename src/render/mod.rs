//! Text into lines, below the model and above the domain: Markdown (`markdown`), the one word
//! wrapper (`wrap`), a reply's lines while it streams (`stream`), the Spec pane's lines
//! (`spec_lines`) and the context gauge's (`gauge`). Plain data in, owned `Line`s out: the model
//! caches them, the views draw them.

pub mod gauge;
pub mod markdown;
pub mod spec_lines;
pub mod stream;
pub mod wrap;
