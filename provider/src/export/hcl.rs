//! A small HCL writer: blocks, attributes, comments and the expressions an
//! export needs (literals, lists, references), laid out the way
//! `terraform fmt` lays them out (two-space indent, `=` aligned within runs
//! of single-line attributes).

use std::fmt::Write as _;

/// An expression on the right of `=`.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A quoted string; escaped when rendered.
    String(String),
    /// A number, already in its decimal form.
    Number(String),
    Bool(bool),
    /// An expression written as is: a reference such as
    /// `autopilot_group.sales.id`, or a function call.
    Raw(String),
    /// A list (or set) literal.
    List(Vec<Element>),
}

/// One element of a list, with an optional comment line above it.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub comment: Option<String>,
    pub value: Expr,
}

impl Element {
    pub fn plain(value: Expr) -> Self {
        Element {
            comment: None,
            value,
        }
    }
}

/// What a body holds, in order.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Attribute { name: String, value: Expr },
    Block(Block),
    Comment(String),
    Blank,
}

/// The inside of a block (or a whole file).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Body {
    items: Vec<Item>,
}

/// `kind "label" "label" { body }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    kind: String,
    labels: Vec<String>,
    pub body: Body,
}

impl Block {
    pub fn new(kind: &str, labels: &[&str]) -> Self {
        Block {
            kind: kind.to_string(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            body: Body::default(),
        }
    }
}

impl Body {
    pub fn attribute(&mut self, name: &str, value: Expr) -> &mut Self {
        self.items.push(Item::Attribute {
            name: name.to_string(),
            value,
        });
        self
    }

    pub fn block(&mut self, block: Block) -> &mut Self {
        self.items.push(Item::Block(block));
        self
    }

    /// A `#` comment; each line of `text` becomes one comment line.
    pub fn comment(&mut self, text: &str) -> &mut Self {
        self.items.push(Item::Comment(text.to_string()));
        self
    }

    pub fn blank(&mut self) -> &mut Self {
        self.items.push(Item::Blank);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The body as file content (top level, no indentation).
    pub fn to_file(&self) -> String {
        let mut out = String::new();
        self.render(0, &mut out);
        out
    }

    fn render(&self, indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent);
        let widths = self.alignment();
        for (item, width) in self.items.iter().zip(widths) {
            match item {
                Item::Attribute { name, value } => {
                    let _ = write!(out, "{pad}{name:<width$} = ");
                    render_expr(value, indent, out);
                    out.push('\n');
                }
                Item::Block(block) => {
                    out.push_str(&pad);
                    out.push_str(&block.kind);
                    for label in &block.labels {
                        out.push(' ');
                        out.push_str(&quote(label));
                    }
                    if block.body.is_empty() {
                        out.push_str(" {}\n");
                    } else {
                        out.push_str(" {\n");
                        block.body.render(indent + 1, out);
                        out.push_str(&pad);
                        out.push_str("}\n");
                    }
                }
                Item::Comment(text) => {
                    for line in comment_lines(text) {
                        if line.is_empty() {
                            let _ = writeln!(out, "{pad}#");
                        } else {
                            let _ = writeln!(out, "{pad}# {line}");
                        }
                    }
                }
                Item::Blank => out.push('\n'),
            }
        }
    }

    /// The name width of each item: `terraform fmt` aligns the `=` of
    /// consecutive single-line attributes; anything else (a comment, a
    /// blank, a block, a multi-line value) ends the run and stands alone.
    fn alignment(&self) -> Vec<usize> {
        let mut widths = vec![0; self.items.len()];
        let mut run: Vec<usize> = Vec::new();
        let close = |run: &mut Vec<usize>, widths: &mut Vec<usize>| {
            let width = run
                .iter()
                .filter_map(|&i| match &self.items[i] {
                    Item::Attribute { name, .. } => Some(name.len()),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            for &i in run.iter() {
                widths[i] = width;
            }
            run.clear();
        };
        for (i, item) in self.items.iter().enumerate() {
            match item {
                Item::Attribute { name, value } if is_multiline(value) => {
                    close(&mut run, &mut widths);
                    widths[i] = name.len();
                }
                Item::Attribute { .. } => run.push(i),
                _ => close(&mut run, &mut widths),
            }
        }
        close(&mut run, &mut widths);
        widths
    }
}

fn comment_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', '\r']).map(str::trim_end)
}

/// Lists of plain literals stay on one line; a list with references or
/// comments gets one element per line.
fn is_multiline(expr: &Expr) -> bool {
    match expr {
        Expr::List(items) => items
            .iter()
            .any(|e| e.comment.is_some() || matches!(e.value, Expr::Raw(_) | Expr::List(_))),
        _ => false,
    }
}

fn render_expr(expr: &Expr, indent: usize, out: &mut String) {
    match expr {
        Expr::String(s) => out.push_str(&quote(s)),
        Expr::Number(n) => out.push_str(n),
        Expr::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Expr::Raw(text) => out.push_str(text),
        Expr::List(items) if !is_multiline(expr) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render_expr(&item.value, indent, out);
            }
            out.push(']');
        }
        Expr::List(items) => {
            let inner = "  ".repeat(indent + 1);
            out.push_str("[\n");
            for item in items {
                if let Some(comment) = &item.comment {
                    for line in comment_lines(comment) {
                        let _ = writeln!(out, "{inner}# {line}");
                    }
                }
                out.push_str(&inner);
                render_expr(&item.value, indent + 1, out);
                out.push_str(",\n");
            }
            out.push_str(&"  ".repeat(indent));
            out.push(']');
        }
    }
}

/// `text` as an HCL quoted string. Besides `\` and `"`, the template
/// introducers `${` and `%{` are escaped (`$${`, `%%{`) so that the text
/// is never evaluated, and control characters are written as escapes.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(quote("plain"), r#""plain""#);
        assert_eq!(quote(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(quote("line\nnext\r\ttab"), r#""line\nnext\r\ttab""#);
        assert_eq!(quote("bell\u{7}"), r#""bell\u0007""#);
        assert_eq!(
            quote("Contact your organization\u{2019}s support"),
            "\"Contact your organization\u{2019}s support\""
        );
    }

    #[test]
    fn template_introducers_are_escaped() {
        assert_eq!(quote("${var.x}"), r#""$${var.x}""#);
        assert_eq!(quote("%{ if true }"), r#""%%{ if true }""#);
        assert_eq!(quote("100% $5 {x}"), r#""100% $5 {x}""#);
        assert_eq!(quote("$${"), r#""$$${""#);
    }

    #[test]
    fn attributes_align_like_terraform_fmt() {
        let mut block = Block::new("resource", &["autopilot_group", "sales"]);
        block
            .body
            .attribute("display_name", Expr::String("Sales".into()))
            .attribute("all_autopilot_devices", Expr::Bool(true))
            .attribute("priority", Expr::Number("3".into()));
        let mut file = Body::default();
        file.block(block);
        assert_eq!(
            file.to_file(),
            "resource \"autopilot_group\" \"sales\" {\n  display_name          = \"Sales\"\n  all_autopilot_devices = true\n  priority              = 3\n}\n"
        );
    }

    #[test]
    fn multi_line_values_and_comments_end_an_alignment_run() {
        let mut body = Body::default();
        body.attribute("a", Expr::Bool(true))
            .attribute(
                "include_group_ids",
                Expr::List(vec![
                    Element::plain(Expr::Raw("autopilot_group.x.id".into())),
                    Element {
                        comment: Some("Users (not exported)".into()),
                        value: Expr::String("1111".into()),
                    },
                ]),
            )
            .attribute("bb", Expr::Bool(false))
            .comment("note\nsecond line")
            .attribute(
                "c",
                Expr::List(vec![Element::plain(Expr::String("0".into()))]),
            )
            .attribute("empty", Expr::List(vec![]));
        assert_eq!(
            body.to_file(),
            "a = true\n\
             include_group_ids = [\n  autopilot_group.x.id,\n  # Users (not exported)\n  \"1111\",\n]\n\
             bb = false\n\
             # note\n# second line\n\
             c     = [\"0\"]\n\
             empty = []\n"
        );
    }

    #[test]
    fn nested_blocks_indent() {
        let mut outer = Block::new("resource", &["autopilot_device", "d"]);
        let mut inner = Block::new("lifecycle", &[]);
        inner.body.attribute("prevent_destroy", Expr::Bool(true));
        outer
            .body
            .attribute("serial_number", Expr::String("SN1".into()))
            .blank()
            .block(inner);
        let mut file = Body::default();
        file.block(outer)
            .blank()
            .block(Block::new("provider", &["autopilot"]));
        assert_eq!(
            file.to_file(),
            "resource \"autopilot_device\" \"d\" {\n  serial_number = \"SN1\"\n\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n\nprovider \"autopilot\" {}\n"
        );
    }
}
