//! The rule catalogue below `load`: one static descriptor per rule that reading a file
//! can break (name, severity, what it finds, what to do). The handbook-wide and change
//! rules keep their descriptor beside their check in `validate`; `validate::ALL_RULES`
//! lists every rule. Plain data, no I/O.

pub mod decode;
pub mod file;
