//! Pure types and rules of wangge: codes, roles, scope, identity numbers, coordinates and grid geometry.
//! No I/O and no async here: every type parses on construction, so an invalid value cannot exist.

#[macro_use]
mod macros;

pub mod admission;
pub mod assessment;
pub mod command;
pub mod coord;
pub mod data_request;
pub mod dispute;
pub mod error;
pub mod event;
pub mod field;
pub mod geometry;
pub mod idcard;
pub mod life;
pub mod locator;
pub mod open311;
pub mod organization;
pub mod participation;
pub mod phone;
pub mod pinyin;
pub mod region;
pub mod register;
pub mod register_file;
pub mod role;
pub mod safety;
pub mod scope;
pub mod service;
pub mod staffing;

pub use error::FieldError;
