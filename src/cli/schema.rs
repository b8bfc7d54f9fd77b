use super::{CommandError, Global, note, print};
use clap::Args;
use normsctl::schema::SchemaKind;
use std::path::PathBuf;

/// Print JSON Schemas for policy files, the roster and normsctl.yaml, for editor completion
/// (yaml-language-server). With no flags, prints one document holding all three.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Print only this schema
    #[arg(long, value_enum)]
    kind: Option<SchemaKind>,
    /// Write the schema files into DIR instead (policy.schema.json, roster.schema.json,
    /// settings.schema.json)
    #[arg(long, value_name = "DIR", conflicts_with = "kind")]
    out: Option<PathBuf>,
}

pub fn run(_global: &Global, args: SchemaArgs) -> Result<(), CommandError> {
    if let Some(dir) = args.out {
        for kind in SchemaKind::ALL {
            let path = dir.join(kind.file_name());
            normsctl::atomic::write(&path, &pretty(&kind.schema()))
                .map_err(|e| CommandError::env(format!("{}: {e}", path.display())))?;
            note(&format!("wrote {}", path.display()));
        }
        return Ok(());
    }
    let doc = match args.kind {
        Some(kind) => kind.schema(),
        None => serde_json::Value::Object(
            SchemaKind::ALL
                .iter()
                .map(|k| (k.name().to_owned(), k.schema()))
                .collect(),
        ),
    };
    print(&String::from_utf8(pretty(&doc)).expect("JSON is UTF-8"))
}

fn pretty(value: &serde_json::Value) -> Vec<u8> {
    normsctl::render::json::pretty_bytes(value)
}
