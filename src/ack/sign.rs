//! SSH signatures of entries (the `sshsig` format of `ssh-keygen -Y sign`).
//!
//! Signing runs `ssh-keygen` (or git's `gpg.ssh.program`) exactly as git does for SSH-signed
//! commits, so a key file, a passphrase prompt, a hardware key and the SSH agent all work.
//! Verifying happens in process with the `ssh-key` crate: no program is trusted to say
//! "good signature".

use super::entry::NAMESPACE;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Where the private key comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeySource {
    /// A key file: a private key, or a public key whose private half is in the agent.
    File(PathBuf),
    /// A public key given literally (git's `key::ssh-ed25519 AAAA...`): the agent signs.
    Literal(String),
}

/// The key git would sign with: `user.signingKey`, read the way git reads it.
pub fn key_from_config(config: &git2::Config) -> Option<KeySource> {
    let value = config.get_string("user.signingkey").ok()?;
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Some(literal) = value.strip_prefix("key::") {
        return Some(KeySource::Literal(literal.trim().to_owned()));
    }
    if value.starts_with("ssh-") || value.starts_with("ecdsa-sha2-") || value.starts_with("sk-") {
        return Some(KeySource::Literal(value.to_owned()));
    }
    let path = match value.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(rest),
        None => PathBuf::from(value),
    };
    Some(KeySource::File(path))
}

/// The signing program: git's `gpg.ssh.program`, else `ssh-keygen`.
pub fn program_from_config(config: &git2::Config) -> String {
    config
        .get_string("gpg.ssh.program")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| "ssh-keygen".to_owned())
}

/// Signs `payload`, returning the armored signature.
pub fn sign(program: &str, key: &KeySource, payload: &[u8]) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temporary folder: {e}"))?;
    let (key_path, agent) = match key {
        KeySource::File(p) => (p.clone(), false),
        KeySource::Literal(k) => {
            let p = dir.path().join("key.pub");
            std::fs::write(&p, format!("{k}\n")).map_err(|e| e.to_string())?;
            (p, true)
        }
    };
    let data = dir.path().join("entry");
    std::fs::write(&data, payload).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(program);
    cmd.args(["-Y", "sign", "-n", NAMESPACE, "-f"])
        .arg(&key_path);
    if agent {
        cmd.arg("-U");
    }
    let out = cmd
        .arg(&data)
        .stdin(Stdio::inherit())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run {program}: {e}"))?;
    if !out.status.success() {
        let _ = std::io::stderr().flush();
        return Err(format!(
            "{program} -Y sign with {}: {}",
            key_path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    std::fs::read_to_string(data.with_extension("sig"))
        .map_err(|e| format!("{program} wrote no signature: {e}"))
}

/// Checks that `armored` is a signature of `payload` by `public_key` (one line of a `.pub`
/// file) in the entries' namespace.
pub fn verify(public_key: &str, payload: &[u8], armored: &str) -> Result<(), String> {
    let key = crate::model::parse_signing_key(public_key)
        .map_err(|e| format!("the roster's key does not read as an SSH public key: {e}"))?;
    let sig = ssh_key::SshSig::from_pem(armored.trim_end().as_bytes())
        .map_err(|e| format!("the signature does not read as an SSH signature: {e}"))?;
    if sig.public_key() != key.key_data() {
        return Err("signed with another key".to_owned());
    }
    key.verify(NAMESPACE, payload, &sig)
        .map_err(|e| format!("the signature does not match the entry: {e}"))
}
