use super::Located;

/// A team: people who work together under a lead.
#[derive(Clone, Debug, PartialEq)]
pub struct Team {
    pub id: Located<String>,
    pub name: String,
    pub lead: Option<Located<String>>,
}

/// A role, such as agent or team lead.
#[derive(Clone, Debug, PartialEq)]
pub struct Role {
    pub id: Located<String>,
    pub name: String,
}

/// One person on the roster.
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    pub id: Located<String>,
    pub name: String,
    /// Matched against git identities.
    pub emails: Vec<Located<String>>,
    pub teams: Vec<Located<String>>,
    pub roles: Vec<Located<String>>,
    /// The SSH public key the person's acknowledgements must be signed with (`None`: no
    /// key, or a key removed by `signing_key: { after: ... }`).
    pub signing_key: Option<Located<String>>,
    /// The ledger commit the key state above takes effect after (`signing_key: { key,
    /// after }`): entries the ledger already held at that commit are judged under the
    /// person's previous key state, every other entry under this one. `None` for a plain
    /// key, which applies to every entry.
    pub key_after: Option<Located<String>>,
}

/// `people.yaml`: who is on the team.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Roster {
    pub file: String,
    pub teams: Vec<Team>,
    pub roles: Vec<Role>,
    pub people: Vec<Person>,
}

impl Roster {
    pub fn person(&self, id: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.id.value == id)
    }

    pub fn team(&self, id: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.id.value == id)
    }

    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id.value == id)
    }
}

/// A roster's `signing_key` (one line of a `.pub` file) as the SSH public key it names: the
/// one reading both `validate` and the ledger's verification use, so a key that validates
/// is a key that verifies.
pub fn parse_signing_key(text: &str) -> Result<ssh_key::PublicKey, ssh_key::Error> {
    ssh_key::PublicKey::from_openssh(text.trim())
}
