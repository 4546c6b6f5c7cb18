//! Access tokens (JWT, HS256, short-lived) and refresh tokens (random,
//! stored as SHA-256 digests).

use crate::domain::{Principal, Role};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const ISSUER: &str = "odg";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    pub role: String,
    /// Operator (company) id of an OPERATOR account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<i64>,
    /// The account's session epoch when the token was issued.
    pub ver: i64,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

/// Why a presented access token was refused (the client sees this).
#[derive(Debug, PartialEq, Eq)]
pub enum TokenProblem {
    Expired,
    Invalid,
}

#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl JwtKeys {
    pub fn from_secret(secret: &[u8]) -> JwtKeys {
        JwtKeys { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) }
    }

    /// A random key, for development runs without `ODG_JWT_SECRET`.
    pub fn random() -> JwtKeys {
        let mut secret = [0u8; 48];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        JwtKeys::from_secret(&secret)
    }

    pub fn issue(&self, principal: &Principal, session_epoch: i64, ttl_secs: u64) -> String {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: principal.user_id.to_string(),
            role: principal.role.as_str().to_string(),
            op: principal.operator_id,
            ver: session_epoch,
            iat: now,
            exp: now + ttl_secs as i64,
            iss: ISSUER.into(),
        };
        // HS256 over serialisable claims cannot fail.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap_or_default()
    }

    /// Checks signature, algorithm (HS256 only: `none` and others are
    /// refused), issuer and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenProblem> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).map(|d| d.claims).map_err(|e| {
            match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenProblem::Expired,
                _ => TokenProblem::Invalid,
            }
        })
    }
}

impl Claims {
    pub fn user_id(&self) -> Option<i64> {
        self.sub.parse().ok()
    }
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }
}

/// A new refresh token and the digest stored for it.
pub fn new_refresh_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let digest = digest(&token);
    (token, digest)
}

/// The stored form of a refresh token: SHA-256, hex. The token has 256
/// random bits, so a fast hash is enough (no dictionary to guess from).
pub fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A random identifier for a refresh-token family.
pub fn new_family() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal() -> Principal {
        Principal { user_id: 7, username: "chef".into(), role: Role::Admin, operator_id: None }
    }

    #[test]
    fn a_token_verifies_with_its_key_only() {
        let keys = JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let token = keys.issue(&principal(), 3, 60);
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.user_id(), claims.role(), claims.ver), (Some(7), Some(Role::Admin), 3));
        let other = JwtKeys::from_secret(b"another key, another key, another");
        assert_eq!(other.verify(&token).unwrap_err(), TokenProblem::Invalid);
    }

    #[test]
    fn unsigned_and_expired_tokens_are_refused() {
        let keys = JwtKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let token = keys.issue(&principal(), 0, 60);
        let payload = token.split('.').nth(1).unwrap();
        let none = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#));
        assert_eq!(keys.verify(&none).unwrap_err(), TokenProblem::Invalid);
        let expired = Claims {
            sub: "7".into(),
            role: "ADMIN".into(),
            op: None,
            ver: 0,
            iat: 0,
            exp: Utc::now().timestamp() - 1,
            iss: ISSUER.into(),
        };
        let expired = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &expired, &keys.encoding).unwrap();
        assert_eq!(keys.verify(&expired).unwrap_err(), TokenProblem::Expired);
    }

    #[test]
    fn refresh_tokens_are_random_and_stored_digested() {
        let (a, da) = new_refresh_token();
        let (b, _) = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(da, digest(&a));
        assert_eq!(da.len(), 64);
        assert!(!da.contains(&a));
    }
}
