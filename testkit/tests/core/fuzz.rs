//! The fuzz targets of `wasm_session_testkit::fuzz`, run natively: every file of the committed
//! corpus (`fuzz/corpus/<target>/seed-*`) is replayed, then each target gets
//! proptest-made bytes, both random and mutated from the seeds (which keeps
//! most inputs close to valid JSON, messages and input sequences). `make fuzz`
//! runs the same targets under libFuzzer for longer; the inputs libFuzzer adds
//! to the corpus directories stay local (git ignores them) and are replayed
//! too with `FUZZ_REPLAY_ALL=1 cargo test -p wasm-session-testkit --test fuzz`
//! (they grow to thousands).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use wasm_session_testkit::fuzz;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 7] = [
    ("config", fuzz::config),
    ("refresh_response", fuzz::refresh_response),
    ("session_response", fuzz::session_response),
    ("message", fuzz::message),
    ("stored_session", fuzz::stored_session),
    ("jwt", fuzz::jwt),
    ("machine", fuzz::machine),
];

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("fuzz").join("corpus").join(target)
}

/// The committed files of the target's corpus (`seed-*`), sorted; with
/// `FUZZ_REPLAY_ALL` set, also whatever local fuzzing added.
fn corpus(target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(corpus_dir(target)) else { return Vec::new() };
    let all = std::env::var_os("FUZZ_REPLAY_ALL").is_some();
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_file() && (all || file_name(path).starts_with("seed-")))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The committed seed inputs (`seed-*`) of a target. Seeds named
/// `seed-crash-*` reproduce bugs fuzzing once found; they guard the fixes.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    corpus(target)
        .into_iter()
        .filter(|path| file_name(path).starts_with("seed-"))
        .map(|path| std::fs::read(&path).expect("corpus files are readable"))
        .collect()
}

/// Whether `target` panics on `data`, with the panic message kept quiet.
fn fails(target: Target, data: &[u8]) -> Option<String> {
    catch_unwind(AssertUnwindSafe(|| target(data))).err().map(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|text| (*text).to_owned()))
            .unwrap_or_default()
    })
}

#[test]
fn every_target_has_a_seed_corpus() {
    for (name, _) in TARGETS {
        let count = seeds(name).len();
        assert!(count >= 3, "fuzz/corpus/{name}/ has {count} seed-* files");
    }
}

#[test]
fn the_corpus_replays_without_a_failure() {
    let mut failures = Vec::new();
    for (name, target) in TARGETS {
        for path in corpus(name) {
            let data = std::fs::read(&path).expect("corpus files are readable");
            if let Some(message) = fails(target, &data) {
                failures.push(format!("{}: {message}", path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "corpus inputs fail:\n{}", failures.join("\n"));
}

/// Bytes that make fuzzers find bugs in text formats.
const DICTIONARY: [&[u8]; 24] = [
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\n",
    b"null",
    b"true",
    b"-0",
    b"1e400",
    b"9007199254740993",
    b"18446744073709551616",
    b"-1",
    b"0.5",
    b"\\u0000",
    b"\\ud800",
    b"\"\":",
    b"\xff",
    b"=",
    b".",
    b" GMT",
    b"99999999999",
];

#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Flip(usize, u8),
    Insert(usize, usize),
    Delete(usize, usize),
    /// A piece of another seed: (seed, start, len, at).
    Splice(usize, usize, usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set(at, byte)),
        (any::<usize>(), 0..8u8).prop_map(|(at, bit)| Mutation::Flip(at, bit)),
        (any::<usize>(), any::<usize>()).prop_map(|(at, word)| Mutation::Insert(at, word)),
        (any::<usize>(), 1..16usize).prop_map(|(at, len)| Mutation::Delete(at, len)),
        (any::<usize>(), any::<usize>(), 1..64usize, any::<usize>())
            .prop_map(|(seed, start, len, at)| Mutation::Splice(seed, start, len, at)),
    ]
}

fn mutate(mut data: Vec<u8>, mutations: &[Mutation], seeds: &[Vec<u8>]) -> Vec<u8> {
    for mutation in mutations {
        let len = data.len();
        match *mutation {
            Mutation::Set(at, byte) if len > 0 => data[at % len] = byte,
            Mutation::Flip(at, bit) if len > 0 => data[at % len] ^= 1 << bit,
            Mutation::Insert(at, word) => {
                let word = DICTIONARY[word % DICTIONARY.len()];
                let at = at % (len + 1);
                data.splice(at..at, word.iter().copied());
            }
            Mutation::Delete(at, count) if len > 0 => {
                let at = at % len;
                data.drain(at..(at + count).min(len));
            }
            Mutation::Splice(seed, start, count, at) => {
                let other = &seeds[seed % seeds.len()];
                let start = start % (other.len() + 1);
                let piece = &other[start..(start + count).min(other.len())];
                let at = at % (len + 1);
                data.splice(at..at, piece.iter().copied());
            }
            _ => {}
        }
    }
    data
}

/// A seed of `target` with a few mutations.
fn mutated(target: &str) -> impl Strategy<Value = Vec<u8>> {
    let seeds = seeds(target);
    assert!(!seeds.is_empty(), "fuzz/corpus/{target}/ has no seed-* files");
    let pick = 0..seeds.len();
    (pick, prop::collection::vec(mutation(), 0..6))
        .prop_map(move |(index, mutations)| mutate(seeds[index].clone(), &mutations, &seeds))
}

fn random_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..512)
}

macro_rules! fuzz_tests {
    ($($target:ident: $random:ident, $mutated:ident;)*) => {
        proptest! {
            #![proptest_config(super::proptest_config(512))]
            $(
                #[test]
                fn $random(data in random_bytes()) {
                    fuzz::$target(&data);
                }

                #[test]
                fn $mutated(data in mutated(stringify!($target))) {
                    fuzz::$target(&data);
                }
            )*
        }
    };
}

fuzz_tests! {
    config: config_takes_random_bytes, config_takes_mutated_seeds;
    refresh_response: refresh_response_takes_random_bytes, refresh_response_takes_mutated_seeds;
    session_response: session_response_takes_random_bytes, session_response_takes_mutated_seeds;
    message: message_takes_random_bytes, message_takes_mutated_seeds;
    stored_session: stored_session_takes_random_bytes, stored_session_takes_mutated_seeds;
    jwt: jwt_takes_random_bytes, jwt_takes_mutated_seeds;
    machine: machine_takes_random_bytes, machine_takes_mutated_seeds;
}
