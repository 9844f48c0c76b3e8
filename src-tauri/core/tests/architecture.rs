//! The core's layers, checked. Each folder under `src/` is a layer; a file may
//! use its own layer and the layers below it, never one above, and the
//! modules of the core never import each other in a circle. This test reads
//! every `crate::…` path in the sources (in `use` lines, brace groups
//! included, and inline paths), leaving out test code, and fails on an
//! upward import or a new circle, naming the file and the path.
//!
//! The README's "Architecture" section explains the layers.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// The layers, lowest first, and what each holds.
const LAYERS: &[(&str, &str)] = &[
    ("rules", "pure rules with no I/O: phone numbers, keywords, redaction, time zones, settings, the error type"),
    ("store", "the encrypted SQLite store: tables, migrations, queries"),
    ("gateways", "the clients of the two servers: HTTP, the hospital SMS server, ECM"),
    ("sandbox", "the simulator of both servers"),
    ("desk", "the Desk: a data directory's store, keyring, settings, locks and audit"),
    ("engine", "what runs: routes, the outbox, inbox sync, sends, calls, replies, the loop"),
    ("records", "what is read out and in: activity log, exports, FHIR, roster import"),
];

/// Files at the root of `src/` and the layer they stand in.
const ROOT_FILES: &[(&str, &str)] = &[("lib.rs", "crate root")];

fn src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rank(layer: &str) -> Option<usize> {
    LAYERS.iter().position(|(name, _)| *name == layer)
}

/// A source file's text without its test code: `#[cfg(test)]` items are cut
/// from the attribute to the end of the item they mark.
fn without_tests(text: &str) -> String {
    let text = strip_comments(text);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        rest = &rest[at + "#[cfg(test)]".len()..];
        // The item ends at its `;` (a `mod x;`, a `use`) or its closing brace.
        let end = match (rest.find(';'), rest.find('{')) {
            (Some(semi), Some(brace)) if semi < brace => semi + 1,
            (_, Some(brace)) => matching_brace(rest, brace).map_or(rest.len(), |e| e + 1),
            (Some(semi), None) => semi + 1,
            (None, None) => rest.len(),
        };
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn strip_comments(text: &str) -> String {
    text.lines().map(|l| l.split_once("//").map_or(l, |(code, _)| code)).collect::<Vec<_>>().join("\n")
}

fn matching_brace(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Every `crate::…` path in `code`, as its first two segments
/// (`crate::store::outbox::Claim` gives `["store", "outbox"]`); brace groups
/// (`use crate::{a::b, c}`) are expanded.
fn crate_paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if after.starts_with('{') {
            let end = matching_brace(after, 0).unwrap_or(after.len() - 1);
            for item in split_top(&after[1..end]) {
                out.push(segments(&item));
            }
            rest = &after[end..];
        } else {
            out.push(segments(after));
            rest = after;
        }
    }
    out.retain(|s| !s.is_empty());
    out
}

/// A brace group's items, split at its top-level commas, each with nested
/// groups expanded to one path per item (`a::{b, c}` gives `a::b`, `a::c`).
fn split_top(group: &str) -> Vec<String> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(group[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(group[start..].trim().to_string());
    items
        .into_iter()
        .filter(|i| !i.is_empty())
        .flat_map(|item| match item.find("::{") {
            Some(at) => {
                let head = &item[..at];
                let inner = &item[at + 3..item.len().saturating_sub(1)];
                split_top(inner).into_iter().map(|i| format!("{head}::{i}")).collect()
            }
            None => vec![item],
        })
        .collect()
}

fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(|s| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>())
        .take_while(|s| !s.is_empty())
        .take(2)
        .collect()
}

/// Where a file stands: its layer and its module (the layer's file or
/// folder it belongs to), from its path under `src/`.
fn place(rel: &Path) -> (String, String) {
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string()).collect();
    match parts.as_slice() {
        [file] => (file.clone(), file.clone()),
        [layer, module, ..] => (layer.clone(), module.clone()),
        [] => unreachable!(),
    }
}

fn is_test_file(rel: &Path) -> bool {
    let name = rel.file_name().unwrap().to_string_lossy();
    name == "tests.rs" || name.ends_with("_tests.rs") || rel.iter().any(|p| p == "tests")
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// One `crate::` path a file uses: from (layer, module) to (layer, module).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    file: String,
    from: (String, String),
    to: (String, String),
    /// The path as written, its first two segments: `records::export`.
    path: String,
}

fn edges(files: &[(PathBuf, String)]) -> Vec<Edge> {
    let modules: BTreeSet<(String, String)> = files.iter().map(|(rel, _)| place(rel)).collect();
    // `crate::a::b` is module `a` when `a` is a file, `a/b` when `b` is a
    // module of the folder `a`, else an item of the folder's `mod.rs`.
    let module_of = |path: &[String]| {
        let a = path[0].clone();
        let b = path.get(1).cloned().unwrap_or_default();
        if modules.contains(&(a.clone(), a.clone())) {
            (a.clone(), a)
        } else if modules.contains(&(a.clone(), b.clone())) {
            (a, b)
        } else {
            (a, "mod".to_string())
        }
    };
    let mut out = BTreeSet::new();
    for (rel, text) in files {
        if is_test_file(rel) {
            continue;
        }
        let from = place(rel);
        for path in crate_paths(&without_tests(text)) {
            let to = module_of(&path);
            if to != from {
                out.insert(Edge { file: rel.display().to_string(), from: from.clone(), to, path: path.join("::") });
            }
        }
    }
    out.into_iter().collect()
}

/// The imports that go up a layer, or into a layer this test does not know.
fn violations(edges: &[Edge]) -> Vec<String> {
    let root: BTreeSet<&str> = ROOT_FILES.iter().map(|(f, _)| f.trim_end_matches(".rs")).collect();
    let mut out = Vec::new();
    for e in edges {
        if root.contains(e.from.0.as_str()) {
            continue;
        }
        match (rank(&e.from.0), rank(&e.to.0)) {
            (Some(from), Some(to)) if to > from => out
                .push(format!("{}: layer {} uses crate::{} of the higher layer {}", e.file, e.from.0, e.path, e.to.0)),
            (None, _) => out.push(format!("{}: is in no layer (move it into one of {:?})", e.file, layer_names())),
            (_, None) => out.push(format!("{}: uses crate::{}, which is in no layer", e.file, e.to.0)),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}

fn layer_names() -> Vec<&'static str> {
    LAYERS.iter().map(|(n, _)| *n).collect()
}

/// The circles among modules (strongly connected components of more than
/// one). A layer's `mod.rs` is its modules' parent: what it declares (the
/// `Desk`, the `Database`) its modules use as they would through `super::`,
/// so that edge is not counted; a circle between sibling modules is.
fn circles(edges: &[Edge]) -> Vec<Vec<String>> {
    let name = |(l, m): &(String, String)| if l == m { l.clone() } else { format!("{l}/{m}") };
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in edges.iter().filter(|e| !(e.to.0 == e.from.0 && e.to.1 == "mod")) {
        graph.entry(name(&e.from)).or_default().insert(name(&e.to));
        graph.entry(name(&e.to)).or_default();
    }
    tarjan(&graph).into_iter().filter(|c| c.len() > 1).collect()
}

fn tarjan(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.graph[v] {
            if !s.index.contains_key(w.as_str()) {
                visit(s, w);
                let lw = s.low[w.as_str()];
                let lv = s.low[v];
                s.low.insert(v, lv.min(lw));
            } else if s.on_stack.contains(w.as_str()) {
                let iw = s.index[w.as_str()];
                let lv = s.low[v];
                s.low.insert(v, lv.min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.to_string());
                if w == v {
                    break;
                }
            }
            component.sort();
            s.out.push(component);
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

fn read_sources() -> Vec<(PathBuf, String)> {
    let mut paths = Vec::new();
    sources(&src(), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.strip_prefix(src()).unwrap().to_path_buf(), text)
        })
        .collect()
}

#[test]
fn every_file_of_the_core_is_in_a_layer() {
    let known: BTreeSet<&str> = ROOT_FILES.iter().map(|(f, _)| *f).collect();
    let stray: Vec<_> = read_sources()
        .into_iter()
        .map(|(rel, _)| rel)
        .filter(|rel| match rel.iter().count() {
            1 => !known.contains(rel.to_string_lossy().as_ref()),
            _ => rank(&place(rel).0).is_none(),
        })
        .collect();
    assert!(stray.is_empty(), "files outside the layers {:?}: {stray:?}", layer_names());
}

#[test]
fn no_layer_imports_a_higher_one() {
    let found = violations(&edges(&read_sources()));
    assert!(found.is_empty(), "imports against the layers:\n{}", found.join("\n"));
}

#[test]
fn no_modules_import_each_other_in_a_circle() {
    let found = circles(&edges(&read_sources()));
    assert!(found.is_empty(), "modules that import each other in a circle: {found:?}");
}

#[test]
fn the_checks_catch_an_upward_import_and_a_circle() {
    // The checker itself: an engine file using the records layer, and two
    // engine modules using each other, hidden in the forms the sources use.
    let files = vec![
        (
            PathBuf::from("engine/outbox/mod.rs"),
            "use crate::{\n    records::{export::Row, fhir},\n    store::Database,\n};\nuse crate::engine::send::x;"
                .to_string(),
        ),
        (PathBuf::from("engine/send.rs"), "fn f() { crate::engine::outbox::go(); }".to_string()),
        (
            PathBuf::from("store/mod.rs"),
            "use crate::rules::phone;\n#[cfg(test)]\nmod tests { use crate::engine::send; }".to_string(),
        ),
    ];
    let e = edges(&files);
    let v = violations(&e);
    assert_eq!(
        v,
        vec![
            "engine/outbox/mod.rs: layer engine uses crate::records::export of the higher layer records",
            "engine/outbox/mod.rs: layer engine uses crate::records::fhir of the higher layer records"
        ]
    );
    assert_eq!(circles(&e), vec![vec!["engine/outbox".to_string(), "engine/send".to_string()]]);
}
