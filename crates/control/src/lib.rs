//! # control — the safety core (OWNER: control helper)
#![no_std]
