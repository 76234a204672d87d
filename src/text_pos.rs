//! Positions in text: byte offsets to 1-based lines and columns, for error messages.

/// The 1-based (line, column) of a byte offset in `text`; columns count characters.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// Where a file stops being UTF-8: 1-based line and column (in characters) and the byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: not UTF-8 (byte {byte:#04x}); save the file as UTF-8")]
pub struct NotUtf8 {
    pub line: usize,
    pub column: usize,
    pub byte: u8,
}

/// `bytes` as text, or where they stop being UTF-8.
pub fn utf8(bytes: Vec<u8>) -> Result<String, NotUtf8> {
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        // The prefix is valid UTF-8 by construction.
        let before = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let (line, column) = line_col(before, at);
        NotUtf8 {
            line,
            column,
            byte: bytes[at],
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{NotUtf8, line_col, utf8};

    #[test]
    fn invalid_utf8_is_located() {
        assert_eq!(utf8(b"ok\n".to_vec()).as_deref(), Ok("ok\n"));
        let err = utf8(b"a = 1\nb = \"\xc3\xa9\xff\"\n".to_vec()).unwrap_err();
        assert_eq!(
            err,
            NotUtf8 {
                line: 2,
                column: 7,
                byte: 0xff
            }
        );
        assert_eq!(
            err.to_string(),
            "2:7: not UTF-8 (byte 0xff); save the file as UTF-8"
        );
    }

    #[test]
    fn counts_lines_and_characters() {
        let text = "ab\nçd\nef";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        assert_eq!(line_col(text, 5), (2, 2));
        assert_eq!(line_col(text, 100), (3, 3));
    }
}
