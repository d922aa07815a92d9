//! What changed between two versions of a script: segments matched by kind and title (longest
//! common subsequence, so order is kept), each matched pair compared field by field, and the
//! script text compared line by line.

use super::Segment;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldChange {
    pub field: &'static str,
    pub before: Value,
    pub after: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LineChange {
    /// `equal`, `insert` or `delete`.
    pub op: &'static str,
    pub line: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SegmentChange {
    /// `same`, `changed`, `added` or `removed`.
    pub change: &'static str,
    pub title: String,
    pub kind: String,
    /// Its position in the older version (none when added).
    pub from_position: Option<usize>,
    /// Its position in the newer version (none when removed).
    pub to_position: Option<usize>,
    pub fields: Vec<FieldChange>,
    /// The script text, line by line, when it changed.
    pub text: Vec<LineChange>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScriptDiff {
    pub from: i64,
    pub to: i64,
    pub from_minutes: i64,
    pub to_minutes: i64,
    pub segments: Vec<SegmentChange>,
}

/// Longest common subsequence of `a` and `b` under `eq`: the matched index pairs, in order.
fn lcs<T>(a: &[T], b: &[T], eq: impl Fn(&T, &T) -> bool) -> Vec<(usize, usize)> {
    let (n, m) = (a.len(), b.len());
    let mut t = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            t[at(i, j)] = if eq(&a[i], &b[j]) {
                t[at(i + 1, j + 1)] + 1
            } else {
                t[at(i + 1, j)].max(t[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < n && j < m {
        if eq(&a[i], &b[j]) {
            out.push((i, j));
            i += 1;
            j += 1;
        } else if t[at(i + 1, j)] >= t[at(i, j + 1)] {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Line-by-line changes from `a` to `b`, deletions before insertions at each gap.
pub fn diff_lines(a: &str, b: &str) -> Vec<LineChange> {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    let pairs = lcs(&a, &b, |x, y| x == y);
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    let line = |op, l: &str| LineChange {
        op,
        line: l.to_owned(),
    };
    for (pi, pj) in pairs.into_iter().chain(std::iter::once((a.len(), b.len()))) {
        out.extend(a[i..pi].iter().map(|l| line("delete", l)));
        out.extend(b[j..pj].iter().map(|l| line("insert", l)));
        if pi < a.len() {
            out.push(line("equal", a[pi]));
        }
        (i, j) = (pi + 1, pj + 1);
    }
    out
}

fn field_changes(a: &Segment, b: &Segment) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut cmp = |field, before: Value, after: Value| {
        if before != after {
            out.push(FieldChange {
                field,
                before,
                after,
            });
        }
    };
    cmp("minutes", json!(a.minutes), json!(b.minutes));
    cmp("people", json!(a.people), json!(b.people));
    cmp("products", json!(a.products), json!(b.products));
    cmp(
        "flash_sale_id",
        json!(a.flash_sale_id),
        json!(b.flash_sale_id),
    );
    cmp("flash", json!(a.flash), json!(b.flash));
    cmp("promotion", json!(a.promotion), json!(b.promotion));
    cmp("props", json!(a.props), json!(b.props));
    out
}

fn one_side(change: &'static str, s: &Segment, pos: usize) -> SegmentChange {
    let added = change == "added";
    SegmentChange {
        change,
        title: s.title.clone(),
        kind: s.kind.as_str().to_owned(),
        from_position: (!added).then_some(pos),
        to_position: added.then_some(pos),
        fields: vec![],
        text: s
            .text
            .lines()
            .map(|l| LineChange {
                op: if added { "insert" } else { "delete" },
                line: l.to_owned(),
            })
            .collect(),
    }
}

pub fn diff_scripts(from: i64, a: &[Segment], to: i64, b: &[Segment]) -> ScriptDiff {
    let pairs = lcs(a, b, |x, y| x.kind == y.kind && x.title == y.title);
    let mut segments = Vec::new();
    let (mut i, mut j) = (0, 0);
    for (pi, pj) in pairs.into_iter().chain(std::iter::once((a.len(), b.len()))) {
        segments.extend((i..pi).map(|k| one_side("removed", &a[k], k)));
        segments.extend((j..pj).map(|k| one_side("added", &b[k], k)));
        if pi < a.len() {
            let (x, y) = (&a[pi], &b[pj]);
            let fields = field_changes(x, y);
            let text = if x.text == y.text {
                vec![]
            } else {
                diff_lines(&x.text, &y.text)
            };
            segments.push(SegmentChange {
                // Moved only because segments were added or removed before it: the same.
                change: if fields.is_empty() && text.is_empty() {
                    "same"
                } else {
                    "changed"
                },
                title: y.title.clone(),
                kind: y.kind.as_str().to_owned(),
                from_position: Some(pi),
                to_position: Some(pj),
                fields,
                text,
            });
        }
        (i, j) = (pi + 1, pj + 1);
    }
    ScriptDiff {
        from,
        to,
        from_minutes: a.iter().map(|s| s.minutes).sum(),
        to_minutes: b.iter().map(|s| s.minutes).sum(),
        segments,
    }
}

#[cfg(test)]
mod tests {
    use super::super::SegmentKind;
    use super::*;

    fn seg(kind: SegmentKind, title: &str, minutes: i64, text: &str) -> Segment {
        Segment {
            kind,
            title: title.into(),
            minutes,
            people: vec![],
            products: vec![],
            flash_sale_id: None,
            flash: None,
            promotion: String::new(),
            text: text.into(),
            props: String::new(),
        }
    }

    #[test]
    fn lines_keep_order_and_show_both_sides() {
        let d = diff_lines("a\nb\nc", "a\nB\nc\nd");
        let ops: Vec<(&str, &str)> = d.iter().map(|c| (c.op, c.line.as_str())).collect();
        assert_eq!(
            ops,
            vec![
                ("equal", "a"),
                ("delete", "b"),
                ("insert", "B"),
                ("equal", "c"),
                ("insert", "d")
            ]
        );
    }

    #[test]
    fn segments_added_removed_and_changed() {
        use SegmentKind::*;
        let a = vec![
            seg(Opening, "开场", 5, "大家好"),
            seg(ProductIntro, "讲解 A", 20, "面料\n版型"),
            seg(Closing, "收尾", 5, ""),
        ];
        let b = vec![
            seg(Opening, "开场", 5, "大家好"),
            seg(Interaction, "抽奖", 10, "扣 1"),
            seg(ProductIntro, "讲解 A", 15, "面料\n尺码"),
        ];
        let d = diff_scripts(1, &a, 2, &b);
        let summary: Vec<(&str, &str)> = d
            .segments
            .iter()
            .map(|s| (s.change, s.title.as_str()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("same", "开场"),
                ("added", "抽奖"),
                ("changed", "讲解 A"),
                ("removed", "收尾")
            ]
        );
        let changed = &d.segments[2];
        assert_eq!(changed.from_position, Some(1));
        assert_eq!(changed.to_position, Some(2));
        assert_eq!(
            changed.fields,
            vec![FieldChange {
                field: "minutes",
                before: json!(20),
                after: json!(15)
            }]
        );
        assert!(changed
            .text
            .iter()
            .any(|l| l.op == "insert" && l.line == "尺码"));
        assert_eq!((d.from_minutes, d.to_minutes), (30, 30));
    }

    #[test]
    fn identical_versions_are_all_same() {
        let a = vec![seg(SegmentKind::Custom, "x", 1, "t")];
        let d = diff_scripts(1, &a, 1, &a);
        assert!(d.segments.iter().all(|s| s.change == "same"));
    }
}
