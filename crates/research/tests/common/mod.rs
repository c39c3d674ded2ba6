//! What the research tests share.

/// The experiment of the tests' files, as TOML: severe ARDS on VV support (femoro-jugular,
/// pump 3500 rpm, sweep 5 L/min, FdO2 1.0) for `duration_s` seconds (a literal).
macro_rules! vv_ards_experiment {
    ($duration_s:literal) => {
        concat!(
            "[experiment]\n",
            "preset = \"ards-severe\"\n",
            "duration_s = ",
            $duration_s,
            "\n",
            "[experiment.circuit]\n",
            "configuration = \"vv-femoro-jugular\"\n",
            "[experiment.settings]\n",
            "pump_rpm = 3500\n",
            "sweep_lpm = 5\n",
            "fdo2 = 1.0\n",
        )
    };
}
