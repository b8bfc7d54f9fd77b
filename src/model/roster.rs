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
    pub signing_key: Option<Located<String>>,
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

    /// The person `who` names: their id, or any of their e-mail addresses (any case).
    pub fn find_person(&self, who: &str) -> Option<&Person> {
        self.person(who).or_else(|| {
            self.people.iter().find(|p| {
                p.emails
                    .iter()
                    .any(|e| e.value.trim().eq_ignore_ascii_case(who.trim()))
            })
        })
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
