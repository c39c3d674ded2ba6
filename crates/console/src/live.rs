//! The product's engine: the twin, its sensors and the control core, through `sil`.
