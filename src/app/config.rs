//! The experiments' shared model description: command-line flags (SPEC §8) and the TOML keys
//! that mirror them, merged as flags > config file > defaults, and turned into a validated
//! [`DynamicsProblem`].
//!
//! Every flag accepts `--flag value` and `--flag=value`, and values may start with a minus sign
//! (`--phase2 -0.25`). A TOML file given with `--config` uses the flag names as keys
//! (`t-max = 3.0`, `v12 = "gauss:0.5,1"`); an unknown key is an error. The `[provenance]`
//! table that pickl writes next to its results is ignored, so a results file's
//! `.meta.toml` reruns the same model.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::evolution::propagation::{KrylovSettings, PropagatorChoice};
use crate::model::lattice::{Geometry, Lattice};
use crate::model::one_body::{
    parse_reals, Kinetic, OneBodyHamiltonian, OrbitalSpec, PotentialSpec,
};
use crate::model::{Model, Prefactors, Species};
use crate::studies::dynamics::{output_times, DynamicsProblem};
use crate::studies::memory::MeasurementMemory;
use crate::{Error, Result};

/// Model, times and accuracies, each optional so that flags, a file and defaults can be merged.
#[derive(clap::Args, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Options {
    /// Number of lattice sites M [default: 4; with a torus, its L1*L2*L3]
    #[arg(long, value_name = "M")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sites: Option<usize>,
    /// Number of A bosons N1 [default: 10]
    #[arg(long, value_name = "N1")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n1: Option<usize>,
    /// Number of B bosons N2 [default: 10]
    #[arg(long, value_name = "N2")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n2: Option<usize>,
    /// Hopping J1 of species A [default: 1]
    #[arg(long, value_name = "J1", allow_hyphen_values = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hop1: Option<f64>,
    /// Hopping J2 of species B [default: 1]
    #[arg(long, value_name = "J2", allow_hyphen_values = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hop2: Option<f64>,
    /// Peierls phase φ1 of species A [default: 0]
    #[arg(long, value_name = "PHI1", allow_hyphen_values = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase1: Option<f64>,
    /// Peierls phase φ2 of species B [default: 0]
    #[arg(long, value_name = "PHI2", allow_hyphen_values = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase2: Option<f64>,
    /// Potential V1: gauss:g,sigma | contact:g | list:V0,V1,... [default: gauss:1,1]
    #[arg(long, value_name = "POT", allow_hyphen_values = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub v1: Option<String>,
    /// Potential V2 [default: gauss:1,1]
    #[arg(long, value_name = "POT", allow_hyphen_values = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub v2: Option<String>,
    /// Inter-species potential V12 [default: gauss:0.5,1]
    #[arg(long, value_name = "POT", allow_hyphen_values = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub v12: Option<String>,
    /// Initial orbital u0: gauss:c,w,k | site:x0 | plane:k | list:a0,a1,... [default: gauss:0,1,0.5]
    #[arg(long, value_name = "ORB", allow_hyphen_values = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub u0: Option<String>,
    /// Initial orbital v0 [default: gauss:2,1,-0.3]
    #[arg(long, value_name = "ORB", allow_hyphen_values = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub v0: Option<String>,
    /// Final time T [default: 3]
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub t_max: Option<f64>,
    /// Number of output intervals K (rows at t = kT/K, k = 0..K) [default: 30]
    #[arg(long, value_name = "K")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<usize>,
    /// Tolerance on ‖Ψ(T) − Ψ_exact(T)‖ over the whole run [default: 1e-10]
    #[arg(long, value_name = "TOL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tol: Option<f64>,
    /// Tolerance of the Hartree integrator [default: 1e-12]
    #[arg(long, value_name = "TOL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hartree_tol: Option<f64>,
    /// Krylov dimension of the Lanczos propagator [default: 30]
    #[arg(long, value_name = "m")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub krylov_dim: Option<usize>,
    /// Propagator: lanczos | chebyshev | auto (the cheaper one that fits in memory) [default: auto]
    #[arg(long, value_name = "KIND")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propagator: Option<String>,
    /// Seconds between checkpoints of a long run (the state and the rows so far, written beside
    /// the output as FILE.checkpoint; rerunning the same command continues from it); 0: at every
    /// step, inf: never [default: 300]
    #[arg(long, value_name = "SECONDS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoint_every: Option<f64>,
    /// Lattice: ring | chain | torus:L1xL2 | torus:L1xL2xL3 [default: ring]
    #[arg(long, value_name = "GEOMETRY")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geometry: Option<String>,
    /// Trap U1 of species A, one value per site (comma-separated) [default: none]
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trap1: Option<String>,
    /// Trap U2 of species B [default: none]
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trap2: Option<String>,
    /// Kinetic energy: schroedinger | relativistic [default: schroedinger]
    #[arg(long, value_name = "KIND")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kinetic: Option<String>,
    /// Mean-field prefactors of the potentials (§4): paper (1/N1, 1/N2, 1/(N1+N2), (4.12)) |
    /// common (1/(N1+N2) for every potential; the dynamics then follows (4.10)) [default: paper]
    #[arg(long, value_name = "CHOICE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefactors: Option<String>,
    /// Output CSV file [default for the default model: results/dynamics_default.csv]
    #[arg(long, value_name = "FILE.csv")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out: Option<PathBuf>,
    /// Written by pickl next to results; ignored when read back.
    #[arg(skip)]
    #[serde(default, skip_serializing)]
    pub provenance: Option<toml::Table>,
}

macro_rules! merge_fields {
    ($high:expr, $low:expr; $($field:ident),*) => {
        Options { $($field: $high.$field.or($low.$field),)* provenance: None }
    };
}

macro_rules! all_fields {
    ($mac:ident, $($args:tt)*) => {
        $mac!($($args)*; sites, n1, n2, hop1, hop2, phase1, phase2, v1, v2, v12, u0, v0, t_max, steps, tol,
              hartree_tol, krylov_dim, propagator, checkpoint_every, geometry, trap1, trap2, kinetic, prefactors, out)
    };
}

impl Options {
    /// The default model of the `dynamics` experiment (ring M = 4, N₁ = N₂ = 10, …).
    pub fn defaults() -> Self {
        Options {
            sites: Some(4),
            n1: Some(10),
            n2: Some(10),
            hop1: Some(1.0),
            hop2: Some(1.0),
            phase1: Some(0.0),
            phase2: Some(0.0),
            v1: Some("gauss:1,1".into()),
            v2: Some("gauss:1,1".into()),
            v12: Some("gauss:0.5,1".into()),
            u0: Some("gauss:0,1,0.5".into()),
            v0: Some("gauss:2,1,-0.3".into()),
            t_max: Some(3.0),
            steps: Some(30),
            tol: Some(1e-10),
            hartree_tol: Some(1e-12),
            krylov_dim: Some(30),
            propagator: Some("auto".into()),
            checkpoint_every: Some(300.0),
            geometry: Some("ring".into()),
            trap1: None,
            trap2: None,
            kinetic: Some("schroedinger".into()),
            prefactors: Some("paper".into()),
            out: None,
            provenance: None,
        }
    }

    /// Reads a TOML file of options (unknown keys are an error).
    pub fn from_toml_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        toml::from_str(&text)
            .map_err(|e| Error::invalid(format!("config file {}", path.display()), e.to_string()))
    }

    /// [`Options::from_toml_file`] for a file that also holds the tables `ignored` (a scaling
    /// study's `[scaling]`, read by the experiments that take the study's model only).
    pub fn from_toml_file_without(path: &Path, ignored: &[&str]) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let bad = |e: String| Error::invalid(format!("config file {}", path.display()), e);
        let mut table: toml::Table = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        for key in ignored {
            table.remove(*key);
        }
        table
            .try_into()
            .map_err(|e: toml::de::Error| bad(e.to_string()))
    }

    /// Each option of `self`, or else of `lower`.
    pub fn or(self, lower: Options) -> Options {
        all_fields!(merge_fields, self, lower)
    }

    /// Whether no model, time or accuracy option differs from [`Options::defaults`] (the output
    /// file, the choice of propagator and the checkpoint interval aside).
    pub fn is_default_model(&self) -> bool {
        let strip = |o: &Options| Options {
            out: None,
            provenance: None,
            propagator: None,
            checkpoint_every: None,
            ..o.clone()
        };
        strip(&self.clone().or(Options::defaults())) == strip(&Options::defaults())
    }

    /// The options with every default filled in, and the output file chosen: `--out`, or
    /// `default_out` for the default model; an error asks for `--out` otherwise.
    pub fn resolved(&self, default_out: &str) -> Result<Options> {
        let mut full = self.completed()?;
        if full.out.is_none() {
            if !self.is_default_model() {
                return Err(Error::invalid(
                    "--out",
                    "give the output file (--out FILE.csv) when the model is not the default one",
                ));
            }
            full.out = Some(PathBuf::from(default_out));
        }
        Ok(full)
    }

    /// The options with every default filled in, no output file chosen (for callers that write
    /// nothing, such as the Python module).
    pub fn completed(&self) -> Result<Options> {
        let mut full = self.clone().or(Options::defaults());
        // A torus fixes M; a ring or chain takes --sites.
        let geometry: Geometry = full.geometry.as_deref().unwrap_or("ring").parse()?;
        if let Geometry::Torus(_) = geometry {
            let m = geometry.sites();
            match self.sites {
                Some(given) if given != m => {
                    return Err(Error::invalid(
                        "--sites",
                        format!("{given} does not match the torus {geometry}, which has {m} sites"),
                    ))
                }
                _ => full.sites = Some(m),
            }
        }
        // Refused here, before anything runs, rather than when the first checkpoint is opened.
        crate::evolution::checkpoint::interval(full.checkpoint_every)?;
        Ok(full)
    }

    /// Builds the validated problem from resolved options (see [`Options::resolved`]).
    pub fn problem(&self) -> Result<DynamicsProblem> {
        let need = |name: &str| Error::invalid(name, "missing (resolve the options first)");
        let geometry: Geometry = self
            .geometry
            .as_deref()
            .ok_or_else(|| need("--geometry"))?
            .parse()?;
        let sites = self.sites.ok_or_else(|| need("--sites"))?;
        // The model holds dense M × M tables (h₁, h₂ complex; V₁, V₂, V₁₂ real; and the
        // pseudo-relativistic square root's eigendecomposition): refuse before allocating them.
        let tables = 6.0 * 16.0 * (sites as f64).powi(2);
        if let Some(available) = crate::studies::memory::available_memory() {
            if tables > available as f64 {
                return Err(Error::invalid(
                    "--sites",
                    format!(
                        "M = {sites} needs about {:.1} GiB for the M x M one-body and potential tables, more than the {:.1} GiB available",
                        tables / (1u64 << 30) as f64,
                        available as f64 / (1u64 << 30) as f64
                    ),
                ));
            }
        }
        let lattice = Lattice::new(geometry.with_sites(sites))?;
        let kinetic: Kinetic = self.kinetic.as_deref().unwrap_or("schroedinger").parse()?;
        let trap = |name: &str, text: &Option<String>| -> Result<Vec<f64>> {
            text.as_deref()
                .map(|t| parse_reals(name, t))
                .transpose()
                .map(Option::unwrap_or_default)
        };
        let potential = |name: &str, text: &Option<String>| -> Result<_> {
            let text = text.as_deref().ok_or_else(|| need(name))?;
            text.parse::<PotentialSpec>()
                .and_then(|p| p.on(&lattice))
                .map_err(|e| Error::invalid(name, e.to_string()))
        };
        let orbital = |name: &str, text: &Option<String>| -> Result<_> {
            let text = text.as_deref().ok_or_else(|| need(name))?;
            text.parse::<OrbitalSpec>()
                .and_then(|o| o.on(&lattice))
                .map_err(|e| Error::invalid(name, e.to_string()))
        };
        let species = |n: Option<usize>,
                       hop: Option<f64>,
                       phase: Option<f64>,
                       trap_text: &Option<String>,
                       v: &Option<String>,
                       names: [&str; 4]|
         -> Result<Species> {
            let particles = n.ok_or_else(|| need(names[0]))?;
            if particles == 0 {
                return Err(Error::invalid(names[0], "needs at least one particle"));
            }
            Ok(Species {
                particles,
                hamiltonian: OneBodyHamiltonian::on_lattice(
                    &lattice,
                    kinetic,
                    hop.ok_or_else(|| need(names[1]))?,
                    phase.unwrap_or(0.0),
                    &trap(names[2], trap_text)?,
                )
                .map_err(|e| Error::invalid(names[1], e.to_string()))?,
                potential: potential(names[3], v)?,
            })
        };
        let a = species(
            self.n1,
            self.hop1,
            self.phase1,
            &self.trap1,
            &self.v1,
            ["--n1", "--hop1", "--trap1", "--v1"],
        )?;
        let b = species(
            self.n2,
            self.hop2,
            self.phase2,
            &self.trap2,
            &self.v2,
            ["--n2", "--hop2", "--trap2", "--v2"],
        )?;
        let v12 = potential("--v12", &self.v12)?;
        let potentials = Model::new(lattice.clone(), a, b, v12)?;
        let prefactors: Prefactors = self.prefactors.as_deref().unwrap_or("paper").parse()?;
        let model = prefactors.model(&potentials);
        let hartree_2_10 = (prefactors != Prefactors::Paper).then_some(potentials);
        let hartree_tolerance = self.hartree_tol.ok_or_else(|| need("--hartree-tol"))?;
        if !(hartree_tolerance > 0.0 && hartree_tolerance < 1.0) {
            return Err(Error::invalid(
                "--hartree-tol",
                format!("must lie in (0, 1), got {hartree_tolerance}"),
            ));
        }
        Ok(DynamicsProblem {
            u0: orbital("--u0", &self.u0)?,
            v0: orbital("--v0", &self.v0)?,
            times: output_times(
                self.t_max.ok_or_else(|| need("--t-max"))?,
                self.steps.ok_or_else(|| need("--steps"))?,
            )?,
            krylov: KrylovSettings::new(
                self.tol.ok_or_else(|| need("--tol"))?,
                self.krylov_dim.ok_or_else(|| need("--krylov-dim"))?,
            )?,
            propagator: self
                .propagator
                .as_deref()
                .unwrap_or("auto")
                .parse::<PropagatorChoice>()?,
            hartree_tolerance,
            model,
            hartree_2_10,
            measurement: MeasurementMemory::NONE,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_build_the_default_model() {
        let options = Options::default().resolved("x.csv").unwrap();
        assert_eq!(options.out.as_deref(), Some(Path::new("x.csv")));
        let problem = options.problem().unwrap();
        assert_eq!(problem.model.sites(), 4);
        assert_eq!(problem.times.len(), 31);
        assert_eq!(problem.model.c1(), 0.5);
    }

    #[test]
    fn a_changed_model_needs_an_output_file() {
        let options = Options {
            n1: Some(3),
            ..Options::default()
        };
        assert!(options.resolved("x.csv").is_err());
        let options = Options {
            n1: Some(10),
            ..Options::default()
        };
        assert!(options.resolved("x.csv").is_ok());
    }

    #[test]
    fn toml_keys_mirror_the_flags_and_unknown_keys_fail() {
        let parsed: Options =
            toml::from_str("t-max = 2\nhop1 = 1\nv12 = \"contact:1\"\n[provenance]\nwall = 3\n")
                .unwrap();
        assert_eq!(parsed.t_max, Some(2.0));
        assert_eq!(parsed.hop1, Some(1.0));
        assert!(toml::from_str::<Options>("tmax = 2").is_err());
    }

    #[test]
    fn torus_fixes_the_number_of_sites() {
        let options = Options {
            geometry: Some("torus:2x3".into()),
            out: Some("t.csv".into()),
            ..Options::default()
        };
        assert_eq!(options.resolved("x").unwrap().sites, Some(6));
        let clash = Options {
            sites: Some(5),
            ..options
        };
        assert!(clash.resolved("x").is_err());
    }
}
