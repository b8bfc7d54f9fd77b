//! Which keys a policy of each kind may have (checked while decoding).

pub use crate::rules::decode::FIELD_NOT_FOR_KIND;
