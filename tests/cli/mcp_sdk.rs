//! A client nobody here wrote: the official MCP Python SDK (`mcp` on PyPI, installed by
//! `.ci/run`) runs `tests/clients/mcp_sdk.py`, a scripted assistant that asks issue 17's
//! questions and asserts the citation fields of the answers. Skips where the SDK is absent,
//! unless `NORMSCTL_REQUIRE_TOOLS=1`.

use crate::browser::require_tools;
use std::path::Path;
use std::process::Command;

#[test]
fn the_python_sdk_gets_cited_answers() {
    let has_sdk = Command::new("python3")
        .args(["-c", "import mcp.client.stdio"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_sdk {
        assert!(
            !require_tools(),
            "the MCP Python SDK is absent (NORMSCTL_REQUIRE_TOOLS=1)"
        );
        eprintln!("skipping: the MCP Python SDK (`pip install mcp`) is absent");
        return;
    }
    let hb = crate::in_force::handbook();
    let acks = crate::acks::handbook(crate::harness::ROSTER, "bo@example.com");
    let run = crate::acks::at(
        &acks,
        &["ack", "stepping-away"],
        crate::acks::T0 + crate::acks::DAY,
    );
    assert_eq!(run.code, 0, "{run:?}");
    acks.write(
        "policies/norms/stepping-away.yaml",
        crate::harness::NORM
            .replace("revision: 1", "revision: 2")
            .replace("Tell the channel.", "Tell the channel and your lead."),
    );
    crate::acks::commit(
        acks.path(),
        "Stepping away: tell your lead too",
        crate::acks::T0 + 2 * crate::acks::DAY,
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/mcp_sdk.py");
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_normsctl"))
        .arg(hb.path())
        .arg(acks.path())
        .arg(crate::in_force::BEFORE)
        .arg((crate::acks::T0 + 3 * crate::acks::DAY).to_string())
        .env("HOME", home.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("today: revision 2 in force from 2025-03-16T23:00:00Z"),
        "{stdout}"
    );
    assert!(stdout.ends_with("ok\n"), "{stdout}");
}
