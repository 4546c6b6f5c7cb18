//! Closed sets of values, stored as their upper-case names on both backends.

/// Declares an enum with `as_str` / `parse` to and from its stored name.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Reads a stored name; `None` for a value this version does not know.
            pub fn parse(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

stored_enum!(
    /// Life-cycle stage of a deposit.
    DepositStatus { Active => "ACTIVE", Development => "DEVELOPMENT", Exploration => "EXPLORATION", Closed => "CLOSED" }
);
stored_enum!(
    /// Legal state of an exploitation permit.
    PermitStatus { Active => "ACTIVE", Pending => "PENDING", Expired => "EXPIRED", Terminated => "TERMINATED" }
);
stored_enum!(
    /// What a piece of infrastructure is.
    InfrastructureKind {
        Road => "ROAD", Railway => "RAILWAY", Pipeline => "PIPELINE", PowerLine => "POWER_LINE", Port => "PORT", Other => "OTHER"
    }
);
stored_enum!(
    /// Whether a piece of infrastructure is in service.
    InfrastructureStatus {
        Operational => "OPERATIONAL", UnderConstruction => "UNDER_CONSTRUCTION", Planned => "PLANNED", Decommissioned => "DECOMMISSIONED"
    }
);
stored_enum!(
    /// Whether a mining company currently operates.
    OperatorStatus { Active => "ACTIVE", Inactive => "INACTIVE" }
);
