//! What is pending for one person (`ack` with no id, `ack --pending`): plain data, made by
//! [`crate::ack::pending`], shown by [`crate::render::ack::pending`].

use super::ack::State;

/// One policy the person has yet to acknowledge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub id: String,
    pub title: String,
    pub revision: u32,
    /// `stale` (an older revision acknowledged) or `never`.
    pub state: State,
    /// When it is (was) due, Unix seconds; `None` where history cannot tell.
    pub due: Option<i64>,
    pub overdue: bool,
}

/// The person's outstanding acknowledgements, overdue first, then by due date and id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The person's id.
    pub person: String,
    pub items: Vec<Item>,
    /// Now, Unix seconds (for "due in N days").
    pub now: i64,
}
