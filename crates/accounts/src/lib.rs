//! Who may do what: staff accounts with roles, customer accounts, argon2id passwords, sign-in
//! sessions as random tokens stored hashed, and the sign-in rate limit.

pub mod address;
mod error;
mod limiter;
mod model;
mod password;
mod service;
mod sessions;
mod token;
pub mod validate;

pub use address::{Address, AddressInput};
pub use error::AccountsError;
pub use limiter::SignInLimiter;
pub use model::{Account, AccountKind, HostRef, NewCustomer, NewStaff, Role, StaffPatch};
pub use service::{Accounts, SignIn, SESSION_TTL_SECS};
pub use token::SessionToken;
