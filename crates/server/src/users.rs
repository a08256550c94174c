//! Adding the people who sign in: the same checks whether an admin does it in the console or
//! on the command line.

use recoup_domain::access::{Role, User};
use recoup_store::{Actor, Store, StoreError};
use uuid::Uuid;

/// 20 characters from an alphabet without look-alikes: about 114 bits.
pub fn generated_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

/// Who to add. A client user names the one client whose data it may see; nobody else does.
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub client_id: Option<Uuid>,
}

/// Adds a user with this password (hashed here). Integrations use API keys, not users.
pub async fn add(store: &dyn Store, tenant_id: Uuid, new: NewUser, password: String, actor: &Actor) -> Result<User, StoreError> {
    if new.role == Role::Integrator {
        return Err(StoreError::invalid("/role", "integrations use API keys, not users"));
    }
    match (new.role, new.client_id) {
        (Role::Client, None) => return Err(StoreError::invalid("/client", "a client user needs the client whose data it sees")),
        (r, Some(_)) if r != Role::Client => return Err(StoreError::invalid("/client", "only a client user has a client")),
        _ => {}
    }
    if new.name.trim().is_empty() {
        return Err(StoreError::invalid("/name", "the person's name"));
    }
    let email =
        recoup_domain::contact::normalize_email(&new.email).map_err(|e| StoreError::invalid("/email", e.to_string()))?.to_lowercase();
    let hash = match crate::passwords::hash(password).await {
        Ok(h) => h,
        Err(e @ crate::passwords::PasswordError::TooShort) => return Err(StoreError::invalid("/password", e.to_string())),
        Err(e) => return Err(StoreError::Corrupt(e.to_string())),
    };
    let user = User {
        id: Uuid::now_v7(),
        tenant_id,
        email,
        name: new.name.trim().to_string(),
        role: new.role,
        client_id: new.client_id,
        disabled: false,
        created_at: jiff::Timestamp::now().as_microsecond(),
    };
    store.create_user(&user, &hash, actor).await?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_long_and_differ() {
        let (a, b) = (generated_password(), generated_password());
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() && !"l1I0Oo".contains(c)));
    }
}
