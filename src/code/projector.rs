//! `specbench-projector`: a syntect theme for the high-contrast theme, legible on black at a
//! distance: white, yellow and cyan on black, told apart by hue and weight; comments are cyan
//! rather than the usual dim grey a projector washes out.

use std::str::FromStr;

use syntect::highlighting::{
    Color, FontStyle, ScopeSelectors, StyleModifier, Theme, ThemeItem, ThemeSettings,
};

/// The theme's name, as a theme file's `syntax` key names it.
pub const NAME: &str = "specbench-projector";

const BLACK: Color = Color {
    r: 0,
    g: 0,
    b: 0,
    a: 0xff,
};
const WHITE: Color = Color {
    r: 0xff,
    g: 0xff,
    b: 0xff,
    a: 0xff,
};
const YELLOW: Color = Color {
    r: 0xff,
    g: 0xff,
    b: 0,
    a: 0xff,
};
const CYAN: Color = Color {
    r: 0,
    g: 0xff,
    b: 0xff,
    a: 0xff,
};

/// The scopes and how each looks.
const ITEMS: &[(&str, Color, FontStyle)] = &[
    ("comment, string.quoted.docstring", CYAN, FontStyle::ITALIC),
    ("string, constant.character", YELLOW, FontStyle::empty()),
    (
        "constant.numeric, constant.language, support.constant",
        YELLOW,
        FontStyle::BOLD,
    ),
    (
        "keyword, storage, keyword.operator.logical, keyword.operator.word",
        CYAN,
        FontStyle::BOLD,
    ),
    (
        "entity.name.function, entity.name.class, entity.name.type, support.function",
        WHITE,
        FontStyle::BOLD,
    ),
    (
        "variable.parameter, variable.language, entity.other.inherited-class",
        WHITE,
        FontStyle::ITALIC,
    ),
    (
        "meta.decorator, entity.name.tag, markup.heading",
        CYAN,
        FontStyle::empty(),
    ),
    ("invalid", YELLOW, FontStyle::BOLD),
];

/// The theme.
pub fn theme() -> Theme {
    let scopes = ITEMS
        .iter()
        .filter_map(|(selector, colour, font)| {
            Some(ThemeItem {
                scope: ScopeSelectors::from_str(selector).ok()?,
                style: StyleModifier {
                    foreground: Some(*colour),
                    background: None,
                    font_style: Some(*font),
                },
            })
        })
        .collect();
    Theme {
        name: Some(NAME.into()),
        author: None,
        settings: ThemeSettings {
            foreground: Some(WHITE),
            background: Some(BLACK),
            caret: Some(YELLOW),
            selection: Some(CYAN),
            ..ThemeSettings::default()
        },
        scopes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_selector_parses_and_every_colour_is_one_of_four() {
        let theme = theme();
        assert_eq!(theme.scopes.len(), ITEMS.len());
        for item in &theme.scopes {
            let fg = item.style.foreground.unwrap();
            assert!([WHITE, YELLOW, CYAN].contains(&fg), "{fg:?}");
        }
    }
}
