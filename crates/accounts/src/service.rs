use crate::model::{Account, HostRef, NewCustomer, NewStaff, Role, StaffPatch};
use crate::{password, validate, AccountsError, SessionToken};
use sellstream_core::{Page, PageRequest, Timestamp};
use sellstream_store::{unique_violation, AnyRow, Row, Store};
use std::collections::BTreeSet;

use crate::sessions::{account_from_row, Sessions, ACCOUNT_COLUMNS};

/// How long a sign-in session lasts.
pub const SESSION_TTL_SECS: i64 = 14 * 24 * 3600;

/// The accounts service: everything about who someone is.
#[derive(Clone)]
pub struct Accounts {
    store: Store,
    /// Sessions resolved in the last two seconds: a buyer tapping during a flash sale costs no
    /// lookup per tap, and first taps are looked up together. Signing out, a new password or a
    /// change to a staff account clears it on this node; other nodes notice within the same time.
    sessions: Sessions,
}

/// The result of a successful sign-in.
#[derive(Debug)]
pub struct SignIn {
    pub token: SessionToken,
    pub expires_at: Timestamp,
    pub account: Account,
}

impl Accounts {
    pub fn new(store: Store) -> Self {
        Self {
            sessions: Sessions::new(store.clone()),
            store,
        }
    }

    fn forget_sessions(&self) {
        self.sessions.forget();
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub async fn create_staff(&self, new: NewStaff) -> Result<Account, AccountsError> {
        let username = validate::username(&new.username)?;
        let nickname = validate::nickname(&new.nickname)?;
        validate::password(&new.password)?;
        let roles = role_set(&new.roles)?;
        let hash = hash_password(new.password).await;
        let now = Timestamp::now().millis();
        let mut tx = self.store.begin().await?;
        let id: i64 = sqlx_insert(
            sqlx::query(
                "INSERT INTO accounts (kind, username, nickname, password_hash, disabled, created_at, updated_at)
                 VALUES ('staff', $1, $2, $3, FALSE, $4, $4) RETURNING id",
            )
            .bind(&username)
            .bind(&nickname)
            .bind(&hash)
            .bind(now)
            .fetch_one(&mut *tx)
            .await,
            "username",
            &username,
        )?
        .get(0);
        for role in &roles {
            sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2)")
                .bind(id)
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.get(id).await
    }

    pub async fn register_customer(&self, new: NewCustomer) -> Result<Account, AccountsError> {
        let phone = new
            .phone
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(validate::phone)
            .transpose()?;
        let email = new
            .email
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(validate::email)
            .transpose()?;
        if phone.is_none() && email.is_none() {
            return Err(AccountsError::Invalid(
                "a phone number or an email address is required".into(),
            ));
        }
        let nickname = validate::nickname(&new.nickname)?;
        validate::password(&new.password)?;
        let hash = hash_password(new.password).await;
        let now = Timestamp::now().millis();
        let result = sqlx::query(
            "INSERT INTO accounts (kind, phone, email, nickname, password_hash, disabled, created_at, updated_at)
             VALUES ('customer', $1, $2, $3, $4, FALSE, $5, $5) RETURNING id",
        )
        .bind(&phone)
        .bind(&email)
        .bind(&nickname)
        .bind(&hash)
        .bind(now)
        .fetch_one(self.store.pool())
        .await;
        let (field, value) = match (&phone, &email) {
            (Some(p), _) if unique_hit(&result, "phone") => ("phone", p.clone()),
            (_, Some(e)) => ("email", e.clone()),
            (Some(p), None) => ("phone", p.clone()),
            (None, None) => unreachable!("checked above"),
        };
        let id: i64 = sqlx_insert(result, field, &value)?.get(0);
        self.get(id).await
    }

    /// Checks a login (username, phone or email) and password. Unknown logins cost the same time as
    /// wrong passwords.
    pub async fn authenticate(
        &self,
        login: &str,
        password: &str,
    ) -> Result<Account, AccountsError> {
        let login = login.trim().to_lowercase();
        let phone = validate::phone(&login).ok();
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = $1 OR email = $1 OR phone = $2 LIMIT 1"
        ))
        .bind(&login)
        .bind(phone.as_deref().unwrap_or(&login))
        .fetch_optional(self.store.pool())
        .await?;
        let stored = row
            .as_ref()
            .map(|r| r.try_get::<String, _>("password_hash"))
            .transpose()?
            .unwrap_or_else(|| password::decoy().to_owned());
        let candidate = password.to_owned();
        let ok = password::off_thread(move || password::verify(&candidate, &stored)).await;
        let Some(row) = row.filter(|_| ok) else {
            return Err(AccountsError::InvalidCredentials);
        };
        let account = self.with_roles(account_from_row(&row)?).await?;
        if account.disabled {
            return Err(AccountsError::Disabled);
        }
        Ok(account)
    }

    /// Starts a session for `account` and returns its token (shown to the client once).
    pub async fn start_session(
        &self,
        account: Account,
        user_agent: Option<&str>,
        ip: Option<&str>,
    ) -> Result<SignIn, AccountsError> {
        let token = SessionToken::generate();
        let now = Timestamp::now();
        let expires_at = now.plus_seconds(SESSION_TTL_SECS);
        sqlx::query(
            "INSERT INTO auth_sessions (token_hash, account_id, created_at, expires_at, user_agent, ip)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(token.hashed())
        .bind(account.id)
        .bind(now.millis())
        .bind(expires_at.millis())
        .bind(user_agent.map(|s| s.chars().take(200).collect::<String>()))
        .bind(ip)
        .execute(self.store.pool())
        .await?;
        Ok(SignIn {
            token,
            expires_at,
            account,
        })
    }

    /// The account behind a live session token, or `None` when unknown, expired or disabled.
    pub async fn resolve(&self, token: &SessionToken) -> Result<Option<Account>, AccountsError> {
        self.sessions.resolve(token.hashed()).await
    }

    pub async fn end_session(&self, token: &SessionToken) -> Result<(), AccountsError> {
        self.sessions.forget_one(&token.hashed());
        sqlx::query("DELETE FROM auth_sessions WHERE token_hash = $1")
            .bind(token.hashed())
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    /// Removes expired sessions; returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<u64, AccountsError> {
        Ok(
            sqlx::query("DELETE FROM auth_sessions WHERE expires_at <= $1")
                .bind(Timestamp::now().millis())
                .execute(self.store.pool())
                .await?
                .rows_affected(),
        )
    }

    pub async fn get(&self, id: i64) -> Result<Account, AccountsError> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or(AccountsError::NotFound(id))?;
        self.with_roles(account_from_row(&row)?).await
    }

    pub async fn find_staff_by_username(
        &self,
        username: &str,
    ) -> Result<Option<Account>, AccountsError> {
        let row = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE kind = 'staff' AND username = $1"
        ))
        .bind(username.trim().to_lowercase())
        .fetch_optional(self.store.pool())
        .await?;
        match row {
            Some(r) => Ok(Some(self.with_roles(account_from_row(&r)?).await?)),
            None => Ok(None),
        }
    }

    /// The id of the account with this phone number, if any.
    pub async fn find_id_by_phone(&self, phone: &str) -> Result<Option<i64>, AccountsError> {
        Ok(sqlx::query("SELECT id FROM accounts WHERE phone = $1")
            .bind(phone)
            .fetch_optional(self.store.pool())
            .await?
            .map(|r| r.get(0)))
    }

    /// Staff, optionally only those with `role` or matching `q` (username or nickname).
    pub async fn list_staff(
        &self,
        role: Option<Role>,
        q: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Account>, AccountsError> {
        let pattern = q
            .map(|q| format!("%{}%", q.trim().to_lowercase()))
            .unwrap_or_else(|| "%".into());
        let filter = "kind = 'staff'
             AND ($1 = '' OR id IN (SELECT account_id FROM account_roles WHERE role = $1))
             AND (LOWER(username) LIKE $2 OR LOWER(nickname) LIKE $2)";
        let role = role.map(Role::as_str).unwrap_or("");
        let total: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM accounts WHERE {filter}"))
            .bind(role)
            .bind(&pattern)
            .fetch_one(self.store.pool())
            .await?
            .try_get(0)?;
        let rows = sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {filter} ORDER BY id LIMIT $3 OFFSET $4"
        ))
        .bind(role)
        .bind(&pattern)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.store.pool())
        .await?;
        let mut items = Vec::with_capacity(rows.len());
        for r in &rows {
            items.push(self.with_roles(account_from_row(r)?).await?);
        }
        Ok(Page::new(items, page, total))
    }

    /// Enabled staff holding the host role, for session forms.
    pub async fn hosts(&self) -> Result<Vec<HostRef>, AccountsError> {
        let rows = sqlx::query(
            "SELECT a.id, a.nickname, a.username FROM accounts a
             JOIN account_roles r ON r.account_id = a.id AND r.role = 'host'
             WHERE a.kind = 'staff' AND a.disabled = FALSE ORDER BY a.nickname",
        )
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(HostRef {
                    id: r.try_get("id")?,
                    nickname: r.try_get("nickname")?,
                    username: r.try_get("username")?,
                })
            })
            .collect()
    }

    pub async fn update_staff(&self, id: i64, patch: StaffPatch) -> Result<Account, AccountsError> {
        self.forget_sessions();
        let current = self.get(id).await?;
        if !current.is_staff() {
            return Err(AccountsError::NotFound(id));
        }
        let nickname = patch
            .nickname
            .as_deref()
            .map(validate::nickname)
            .transpose()?;
        let roles = patch.roles.as_deref().map(role_set).transpose()?;
        let mut tx = self.store.begin().await?;
        sqlx::query(
            "UPDATE accounts SET nickname = COALESCE($1, nickname), disabled = COALESCE($2, disabled),
             updated_at = $3 WHERE id = $4",
        )
        .bind(nickname)
        .bind(patch.disabled)
        .bind(Timestamp::now().millis())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if let Some(roles) = roles {
            sqlx::query("DELETE FROM account_roles WHERE account_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for role in roles {
                sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2)")
                    .bind(id)
                    .bind(role.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
        }
        if patch.disabled == Some(true) {
            sqlx::query("DELETE FROM auth_sessions WHERE account_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.forget_sessions();
        self.get(id).await
    }

    /// Sets a new password and signs the account out everywhere.
    pub async fn set_password(&self, id: i64, new_password: &str) -> Result<(), AccountsError> {
        validate::password(new_password)?;
        self.get(id).await?;
        let hash = hash_password(new_password.to_owned()).await;
        let mut tx = self.store.begin().await?;
        sqlx::query("UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3")
            .bind(hash)
            .bind(Timestamp::now().millis())
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM auth_sessions WHERE account_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.forget_sessions();
        Ok(())
    }

    pub async fn count_staff(&self) -> Result<i64, AccountsError> {
        Ok(
            sqlx::query("SELECT COUNT(*) FROM accounts WHERE kind = 'staff'")
                .fetch_one(self.store.pool())
                .await?
                .try_get(0)?,
        )
    }

    async fn with_roles(&self, account: Account) -> Result<Account, AccountsError> {
        crate::sessions::with_roles(&self.store, account).await
    }
}

async fn hash_password(password: String) -> String {
    password::off_thread(move || password::hash(&password)).await
}

fn role_set(roles: &[Role]) -> Result<BTreeSet<Role>, AccountsError> {
    if roles.is_empty() {
        return Err(AccountsError::Invalid(
            "roles: a staff account needs at least one role".into(),
        ));
    }
    Ok(roles.iter().copied().collect())
}

fn unique_hit(result: &Result<AnyRow, sqlx::Error>, column: &str) -> bool {
    matches!(result, Err(e) if unique_violation(e).is_some_and(|c| c.contains(column)))
}

fn sqlx_insert(
    result: Result<AnyRow, sqlx::Error>,
    field: &'static str,
    value: &str,
) -> Result<AnyRow, AccountsError> {
    result.map_err(|e| match unique_violation(&e) {
        Some(_) => AccountsError::AlreadyExists {
            field,
            value: value.to_owned(),
        },
        None => e.into(),
    })
}
