//! `femtocwmp`: the command line. The codec subcommands work today; `demo` decodes the
//! sample messages until the reference transport (HeMS, HeNB simulator) exists.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::Value as Json;

#[derive(Parser)]
#[command(
    name = "femtocwmp",
    version,
    about = "TR-069 (CWMP) for femtocell management"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode a CWMP message (XML) to JSON, or to a readable tree with --pretty.
    Decode {
        /// The message file, or `-` for standard input.
        file: String,
        /// Print a readable tree instead of JSON.
        #[arg(long)]
        pretty: bool,
    },
    /// Encode a CWMP message given in JSON form to XML.
    Encode {
        /// The JSON file, or `-` for standard input.
        file: String,
    },
    /// Decode and show the benchmark corpus messages (the HeMS/HeNB demo needs the
    /// reference transport, which is not built yet).
    Demo {
        /// Directory of CWMP messages to show.
        #[arg(long, default_value = "tests/bench-corpus")]
        dir: PathBuf,
    },
}

fn read_input(file: &str) -> Result<Vec<u8>, String> {
    if file == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(buf)
    } else {
        std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))
    }
}

/// Prints a JSON value as an indented tree; parameter structs fit on one line.
fn tree(out: &mut String, key: &str, v: &Json, depth: usize) {
    let pad = "  ".repeat(depth);
    match v {
        Json::Object(m) if m.contains_key("name") && m.contains_key("value") && m.len() <= 3 => {
            let ty = m.get("type").and_then(Json::as_str).unwrap_or("string");
            out.push_str(&format!(
                "{pad}{} = {} ({ty})\n",
                m["name"].as_str().unwrap_or(""),
                m["value"]
            ));
        }
        Json::Object(m) => {
            if !key.is_empty() {
                out.push_str(&format!("{pad}{key}:\n"));
            }
            for (k, v) in m {
                tree(out, k, v, depth + usize::from(!key.is_empty()));
            }
        }
        Json::Array(a) if a.is_empty() => out.push_str(&format!("{pad}{key}: []\n")),
        Json::Array(a) => {
            out.push_str(&format!("{pad}{key}: [{}]\n", a.len()));
            for (i, v) in a.iter().enumerate() {
                tree(out, &format!("[{i}]"), v, depth + 1);
            }
        }
        other => out.push_str(&format!("{pad}{key}: {other}\n")),
    }
}

fn pretty(env: &femtocwmp::Envelope) -> String {
    let mut out = format!(
        "{} (CWMP {}, {}{})\n",
        env.body.method_name(),
        env.version,
        env.namespace.uri(),
        env.header
            .id
            .as_ref()
            .map(|id| format!(", cwmp:ID {id}"))
            .unwrap_or_default()
    );
    let mut body = serde_json::to_value(&env.body).expect("bodies serialize");
    if let Json::Object(m) = &mut body {
        m.remove("method");
    }
    tree(&mut out, "", &body, 1);
    for w in &env.warnings {
        out.push_str(&format!("  warning: {w}\n"));
    }
    out
}

fn run(cli: Cli) -> Result<(), String> {
    let stdout = &mut std::io::stdout().lock();
    let write = |out: &mut dyn Write, bytes: &[u8]| {
        out.write_all(bytes)
            .map_err(|e| format!("cannot write output: {e}"))
    };
    match cli.command {
        Command::Decode { file, pretty: p } => {
            let env = femtocwmp::decode(&read_input(&file)?).map_err(|e| format!("{file}: {e}"))?;
            let text = if p {
                pretty(&env)
            } else {
                serde_json::to_string_pretty(&env).expect("envelopes serialize") + "\n"
            };
            write(stdout, text.as_bytes())
        }
        Command::Encode { file } => {
            let input = read_input(&file)?;
            let env: femtocwmp::Envelope = serde_json::from_slice(&input)
                .map_err(|e| format!("{file}: not a CWMP message in JSON form: {e}"))?;
            for v in femtocwmp::check(&env) {
                eprintln!("warning: {file}: {v}");
            }
            write(stdout, &femtocwmp::encode(&env))
        }
        Command::Demo { dir } => {
            println!(
                "femtocwmp demo: the HeMS/HeNB flows need the reference transport, not built yet."
            );
            println!("Decoding the messages in {} instead.\n", dir.display());
            let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "xml"))
                .collect();
            files.sort();
            for f in &files {
                let bytes = std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?;
                let env = femtocwmp::decode(&bytes).map_err(|e| format!("{}: {e}", f.display()))?;
                let text = pretty(&env);
                let mut lines: Vec<&str> = text.lines().collect();
                let total = lines.len();
                lines.truncate(14);
                println!("== {} ({} bytes)", f.display(), bytes.len());
                println!("{}", lines.join("\n"));
                if total > 14 {
                    println!("  ... {} more lines", total - 14);
                }
                println!();
            }
            println!("{} messages decoded.", files.len());
            Ok(())
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("femtocwmp: {e}");
            ExitCode::FAILURE
        }
    }
}
