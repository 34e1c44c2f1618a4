//! The pattern IR that the `P` builders of the JS facade produce (as JSON).

use serde::Deserialize;

/// One pattern.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "k", rename_all = "camelCase")]
pub enum Pat {
    /// `P._`: anything, `undefined` included.
    Any,
    /// A literal, compared with `Object.is`.
    Lit { lit: Lit },
    /// A type wildcard (`P.string`, ..., `P.pid`).
    Type { t: TypeTag },
    /// An array pattern: exactly `items.len()` elements, or at least that
    /// many when `rest` is present (`P.rest(p?)` last; `None` inside means
    /// any elements).
    Arr {
        items: Vec<Pat>,
        #[serde(default)]
        #[cfg_attr(test, ts(optional))]
        rest: Option<Rest>,
    },
    /// An object pattern: every listed key is present (`key in v`, as
    /// ts-pattern requires) and its value matches, unless its pattern is
    /// `Optional`, which also accepts an absent key (extra keys allowed).
    Obj { keys: Vec<(String, Pat)> },
    /// `P.array(p)`: an array of any length, every element matching `of`.
    ArrayOf { of: Box<Pat> },
    /// `P.instanceOf(C, fields?)`: `cls` indexes the matcher's class table.
    Inst {
        cls: u32,
        #[serde(default)]
        fields: Vec<(String, Pat)>,
    },
    /// `P.when(pred)`: `guard` indexes the matcher's guard table.
    When { guard: u32 },
    /// `P.union(...)`: the first alternative that matches.
    Union { of: Vec<Pat> },
    /// `P.not(p)`.
    Not { of: Box<Pat> },
    /// `P.optional(p)`: `undefined` or `of` (its selections are `undefined`
    /// then); as an object pattern's key pattern, the key may be absent.
    Optional { of: Box<Pat> },
    /// `P.select(name?, p)`: binds the matched value.
    Sel {
        #[serde(default)]
        name: Option<String>,
        of: Box<Pat>,
    },
}

/// The `P.rest(p?)` at the end of an array pattern.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Rest {
    /// What each remaining element must match (`None`: anything).
    #[serde(default)]
    #[cfg_attr(test, ts(optional))]
    pub of: Option<Box<Pat>>,
}

/// A literal value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "t", content = "v", rename_all = "camelCase")]
pub enum Lit {
    Null,
    Undef,
    Bool(bool),
    /// A number as JS prints it (`"NaN"`, `"-0"`, `"Infinity"` included),
    /// so that `Object.is` semantics survive JSON.
    Num(String),
    Str(String),
    /// A bigint in decimal.
    Big(String),
    /// A `Symbol.for` key.
    Sym(String),
    /// A value only JS can compare (a local symbol): index into the
    /// matcher's constant table. Encoded terms never equal it.
    Js(u32),
}

impl Lit {
    /// The number this literal denotes, for numeric literals.
    pub fn num(&self) -> Option<f64> {
        match self {
            Lit::Num(s) => Some(match s.as_str() {
                "NaN" => f64::NAN,
                "Infinity" => f64::INFINITY,
                "-Infinity" => f64::NEG_INFINITY,
                "-0" => -0.0,
                _ => s.parse().ok()?,
            }),
            _ => None,
        }
    }

    /// The type wildcard this literal belongs to.
    pub fn type_tag(&self) -> Option<TypeTag> {
        Some(match self {
            Lit::Null | Lit::Undef => TypeTag::Nullish,
            Lit::Bool(_) => TypeTag::Boolean,
            Lit::Num(_) => TypeTag::Number,
            Lit::Str(_) => TypeTag::String,
            Lit::Big(_) => TypeTag::Bigint,
            Lit::Sym(_) => TypeTag::Symbol,
            Lit::Js(_) => return None,
        })
    }
}

/// Type wildcards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub enum TypeTag {
    String,
    Number,
    Boolean,
    Bigint,
    Symbol,
    /// `null` or `undefined`.
    Nullish,
    Pid,
}

impl TypeTag {
    /// Whether a value can have both types (pid is an object; the rest are
    /// disjoint primitive kinds).
    pub fn disjoint(self, other: TypeTag) -> bool {
        self != other
    }
}

/// A matcher's clauses, as the facade sends them.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Clauses {
    pub clauses: Vec<Pat>,
    /// Class names for `explain`, by index.
    #[serde(default)]
    pub classes: Vec<String>,
    /// Guard names for `explain`, by index.
    #[serde(default)]
    pub guards: Vec<String>,
}

/// Parses the JSON IR; the error says where it is malformed.
pub fn parse(json: &str) -> Result<Clauses, String> {
    serde_json::from_str(json).map_err(|e| format!("malformed pattern IR: {e}"))
}
