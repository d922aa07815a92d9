use sellstream_core::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A staff role. A person may hold several.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Staff accounts, channels, settings, everything.
    Admin,
    /// Calendar, sessions, products, campaigns.
    Operator,
    /// The face of the show.
    Host,
    /// 场控: runs the room during the show.
    Controller,
    /// Dashboards and reports.
    Analyst,
    /// Stock and shipments.
    Warehouse,
    /// Host recruitment: sees candidates' personal data (主播招聘).
    TalentManager,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Operator,
        Role::Host,
        Role::Controller,
        Role::Analyst,
        Role::Warehouse,
        Role::TalentManager,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Host => "host",
            Role::Controller => "controller",
            Role::Analyst => "analyst",
            Role::Warehouse => "warehouse",
            Role::TalentManager => "talent_manager",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Staff,
    Customer,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Staff => "staff",
            Self::Customer => "customer",
        }
    }
}

/// A person who signs in: staff (with roles) or a customer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Account {
    pub id: i64,
    pub kind: AccountKind,
    /// Staff sign in with a username.
    pub username: Option<String>,
    pub nickname: String,
    /// Customers sign in with a phone number or an email address.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub roles: Vec<Role>,
    pub disabled: bool,
    pub created_at: Timestamp,
}

impl Account {
    pub fn is_staff(&self) -> bool {
        self.kind == AccountKind::Staff
    }

    /// True for staff holding any of `roles`; admins hold every role.
    pub fn has_any_role(&self, roles: &[Role]) -> bool {
        self.is_staff()
            && self
                .roles
                .iter()
                .any(|r| *r == Role::Admin || roles.contains(r))
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewStaff {
    pub username: String,
    pub nickname: String,
    pub password: String,
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewCustomer {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub nickname: String,
    pub password: String,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct StaffPatch {
    pub nickname: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub disabled: Option<bool>,
}

/// A host as offered in session forms.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HostRef {
    pub id: i64,
    pub nickname: String,
    pub username: Option<String>,
}
