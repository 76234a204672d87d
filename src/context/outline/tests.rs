use super::*;

/// `line name kind signature [< parent]` for each definition.
fn show(lang: Lang, src: &str) -> Vec<String> {
    let o = outline(lang, src);
    o.defs
        .iter()
        .map(|d| {
            let parent = d
                .parent
                .map(|p| format!(" < {}", o.defs[p].name))
                .unwrap_or_default();
            format!(
                "{} {} {:?} `{}`{parent}",
                d.line, d.name, d.kind, d.signature
            )
        })
        .collect()
}

#[test]
fn python_functions_classes_and_methods_not_nested_ones() {
    let src = r#"import os

@decorator(x=1)
def top(a, b: int = 3) -> str:
    def inner():
        class Hidden: pass
    return "def fake():"

class Limiter(Base, metaclass=Meta):
    """Docstring with
    def not_a_def(): ...
    """
    rate = 3

    async def allow(self,
                    user: str,  # a comment
                    now=None) -> bool:
        lambda: 1
        def helper(): pass

    class Inner:
        def deep(self): ...

if TYPE_CHECKING:
    def typed() -> None: ...
else:
    x = {
 'def': 1}
def after(): pass
"#;
    assert_eq!(
        show(Lang::Python, src),
        [
            "4 top Function `def top(a, b: int = 3) -> str:`",
            "9 Limiter Class `class Limiter(Base, metaclass=Meta):`",
            "15 allow Method `async def allow(self, user: str, now=None) -> bool:` < Limiter",
            "21 Inner Class `class Inner:` < Limiter",
            "22 deep Method `def deep(self):` < Inner",
            "25 typed Function `def typed() -> None:`",
            "29 after Function `def after():`",
        ]
    );
}

#[test]
fn rust_items_impls_traits_and_modules() {
    let src = r#"//! docs
use std::fmt;

#[derive(Debug)]
pub(crate) struct Spec<'a> { text: &'a str }

pub enum Kind { A, B(u8) }

impl<'a> fmt::Display for Spec<'a> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn nested() {}
        let s = "fn fake() {}";
        Ok(())
    }
}

pub trait Check: Send {
    fn check(&self) -> bool;
    fn name(&self) -> &str { "x" }
}

pub const fn limit() -> usize { 3 }
pub async unsafe fn go<T: Into<Vec<u8>>>(t: T)
where
    T: Clone,
{
}

type Alias = Vec<[u8; 4]>;
const MAX: usize = 3;

macro_rules! ids { () => {}; }

mod inner {
    pub fn visible() {}
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_test() {}
}
"#;
    assert_eq!(
        show(Lang::Rust, src),
        [
            "5 Spec Struct `pub(crate) struct Spec<'a>`",
            "7 Kind Enum `pub enum Kind`",
            "9 Spec Impl `impl<'a> fmt::Display for Spec<'a>`",
            "10 fmt Method `fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result` < Spec",
            "17 Check Trait `pub trait Check: Send`",
            "18 check Method `fn check(&self) -> bool` < Check",
            "19 name Method `fn name(&self) -> &str` < Check",
            "22 limit Function `pub const fn limit() -> usize`",
            "23 go Function `pub async unsafe fn go<T: Into<Vec<u8>>>(t: T) where T: Clone,`",
            "29 Alias Type `type Alias = Vec<[u8; 4]>`",
            "32 ids Macro `macro_rules! ids`",
            "34 inner Module `mod inner`",
            "35 visible Function `pub fn visible()` < inner",
            "39 tests Module `mod tests`",
            "41 a_test Function `fn a_test()` < tests",
        ]
    );
}

#[test]
fn go_functions_methods_and_types() {
    let src = "package cobra

import \"fmt\"

// Command is a command.
type Command struct {
\tUse string
}

type (
\tPositionalArgs func(cmd *Command, args []string) error
\tflagSet = map[string]bool
)

func (c *Command) Execute() error {
\tf := func() {}
\ttype local int
\treturn nil
}

func NewCommand[T any](name string,
\tshort string) *Command {
\treturn nil
}
var x = `
func fake() {}`
";
    assert_eq!(
        show(Lang::Go, src),
        [
            "6 Command Type `type Command struct`",
            "11 PositionalArgs Type `PositionalArgs func(cmd *Command, args []string) error`",
            "12 flagSet Type `flagSet = map[string]bool`",
            "15 Execute Method `func (c *Command) Execute() error`",
            "21 NewCommand Function `func NewCommand[T any](name string, short string) *Command`",
        ]
    );
}

#[test]
fn javascript_functions_classes_methods_and_assignments() {
    let src = r#"'use strict';
import x from "y";

export default async function handle(req, res) {
  function inner() {}
  const z = () => 1;
}

export class Router extends Base {
  static #count = 0;
  constructor(options) { super(); }
  async *items() { yield 1; }
  get size() { return 1 }
  onClick = (e) => { this.x = /}/.test(e) }
  plain = 3
}

const route = (path, ...handlers) => {
  if (a) { function nope() {} }
};
var legacy = function () {};
exports.json = function json(obj) {};
app.get = function get(path) {};
module.exports = {
  render(view) {},
  helper: function () {},
  value: 3,
};
defineGetter(req, 'x', function protocol() {});
const text = `${ function fake() {} }`;
"#;
    assert_eq!(
        show(Lang::JavaScript, src),
        [
            "4 handle Function `export default async function handle(req, res)`",
            "9 Router Class `export class Router extends Base`",
            "11 constructor Method `constructor(options)` < Router",
            "12 items Method `async *items()` < Router",
            "13 size Method `get size()` < Router",
            "14 onClick Method `onClick = (e) =>` < Router",
            "18 route Function `const route = (path, ...handlers) =>`",
            "21 legacy Function `var legacy = function ()`",
            "22 json Function `exports.json = function json(obj)`",
            "23 get Function `app.get = function get(path)`",
            "25 render Function `render(view)`",
            "26 helper Function `helper: function ()`",
            "29 protocol Function `function protocol()`",
        ]
    );
}

#[test]
fn typescript_interfaces_types_enums_namespaces_and_signatures() {
    let src = r#"export interface Observer<T> {
  next: (value: T) => void;
  error?(err: any): void;
  complete(): void;
}
export type Handler<T> = (x: T) => void;
export enum Color { Red, Green }
export const enum Flags { A = 1 }
export declare function overload(a: string): void;
export abstract class Subject<T> implements Observer<T> {
  @Input() private readonly closed = false;
  protected abstract check(): boolean;
  public subscribe<R>(fn: (x: T) => R): Subscription {
    return null!;
  }
}
export namespace Util {
  export function helper(): void {}
}
export const pipe = <T,>(x: T): T => x;
export const typed: Fn = async (a: number): Promise<void> => {};
"#;
    assert_eq!(
        show(Lang::TypeScript, src),
        [
            "1 Observer Interface `export interface Observer<T>`",
            "3 error Method `error?(err: any): void` < Observer",
            "4 complete Method `complete(): void` < Observer",
            "6 Handler Type `export type Handler<T>`",
            "7 Color Enum `export enum Color`",
            "8 Flags Enum `export const enum Flags`",
            "9 overload Function `export declare function overload(a: string): void`",
            "10 Subject Class `export abstract class Subject<T> implements Observer<T>`",
            "12 check Method `protected abstract check(): boolean` < Subject",
            "13 subscribe Method `public subscribe<R>(fn: (x: T) => R): Subscription` < Subject",
            "17 Util Module `export namespace Util`",
            "18 helper Function `export function helper(): void` < Util",
            "20 pipe Function `export const pipe = <T,>(x: T): T =>`",
            "21 typed Function `export const typed: Fn = async (a: number): Promise<void> =>`",
        ]
    );
}

#[test]
fn references_skip_keywords_strings_and_comments() {
    let (_, refs) = scan(
        Lang::Python,
        "from limiter import RateLimiter\n# RateLimiter\nx = RateLimiter(now=clock())\ns = 'clock'\n",
    );
    assert_eq!(refs.get("RateLimiter"), Some(&2));
    assert_eq!(refs.get("clock"), Some(&1));
    assert_eq!(refs.get("import"), None);
    assert_eq!(
        refs.get("x"),
        None,
        "one-letter names are too common to link files"
    );
}

#[test]
fn long_signatures_are_cut_on_a_character_boundary() {
    let params: Vec<String> = (0..60).map(|i| format!("été{i}")).collect();
    let src = format!("def f({}):\n    pass\n", params.join(", "));
    let sig = &outline(Lang::Python, &src).defs[0].signature;
    assert!(sig.len() <= MAX_SIGNATURE + '…'.len_utf8(), "{}", sig.len());
    assert!(sig.ends_with('…'));
    let long = format!("def g(x='{}'):\n", "a".repeat(100));
    assert_eq!(
        outline(Lang::Python, &long).defs[0].signature,
        format!("def g(x='{}…):", "a".repeat(36))
    );
}

#[test]
fn garbage_never_panics() {
    let samples = [
        "def",
        "class (",
        "fn",
        "impl<",
        "impl",
        "func (",
        "type (",
        "function",
        "class {",
        "const a =",
        "x.y =",
        "}}}}",
        "((((",
        "@",
        "#[",
        "macro_rules!",
        "interface",
        "pub(",
        "export default",
        "get",
        "a = (b",
        "type X<",
        "module.exports = {",
        "'\\",
        "\u{feff}def f(): pass",
    ];
    for lang in [
        Lang::Python,
        Lang::Rust,
        Lang::Go,
        Lang::JavaScript,
        Lang::TypeScript,
    ] {
        for s in samples {
            let _ = scan(lang, s);
        }
    }
}
