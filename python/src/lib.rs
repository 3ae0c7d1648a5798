//! `pickl` for Python: the experiments of the command line, run in-process, with the experiments'
//! flags as keyword arguments (dashes become underscores) and their tables returned as dicts
//! from column name to NumPy array. The GIL is released while the library computes; Ctrl-C is
//! honoured between output times. Library errors become `ValueError` (bad input),
//! `MemoryError` (a size that would not fit) or `RuntimeError`, with the binaries' messages.

use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::sync::Mutex;

use numpy::{
    Complex64, IntoPyArray, PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyMemoryError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use pickl_core::app::config::Options;
use pickl_core::evolution::bogoliubov::BOGOLIUBOV_COLUMNS;
use pickl_core::measure::counting::{CondensateFrame, CountingDistribution};
use pickl_core::measure::observables::IndicatorWorkspace;
use pickl_core::proof::norms::ExponentChoice;
use pickl_core::space::fock::FockBasis;
use pickl_core::studies::bogoliubov::BogoliubovProblem;
use pickl_core::studies::counting::MEMORY as COUNTING_MEMORY;
use pickl_core::studies::counting::{
    counting_columns, CountingRun, DISTRIBUTION_COLUMNS, FRACTION_COLUMNS,
};
use pickl_core::studies::dynamics::DynamicsProblem;
use pickl_core::studies::memory::available_memory;
use pickl_core::studies::memory::MeasurementMemory;
use pickl_core::studies::proof::MEMORY as PROOF_MEMORY;
use pickl_core::studies::proof::{ProofRun, STEP_COLUMNS, TERM_COLUMNS, WIDE_COLUMNS};
use pickl_core::studies::scaling::table::{FIT_COLUMNS, SCALING_COLUMNS};
use pickl_core::studies::scaling::{Settings, Study, StudyPlan};
use pickl_core::Error;

/// The Python exception for a library error, with the message the binaries print.
fn to_python(error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        Error::InvalidInput { .. } => PyValueError::new_err(message),
        Error::TooLarge(_) => PyMemoryError::new_err(message),
        _ => PyRuntimeError::new_err(message),
    }
}

/// Keyword arguments that name files or checkpoints: the Python functions write nothing.
const FILE_ARGUMENTS: [&str; 3] = ["out", "config", "checkpoint_every"];

/// The options of the command line from keyword arguments (`t_max` is `--t-max`), with the
/// same defaults and validation (an unknown name is a `ValueError`).
fn options_from(flags: Option<&Bound<'_, PyDict>>) -> PyResult<Options> {
    let mut table = toml::Table::new();
    if let Some(flags) = flags {
        for (key, value) in flags.iter() {
            let name: String = key.extract()?;
            if FILE_ARGUMENTS.contains(&name.as_str()) {
                return Err(PyValueError::new_err(format!(
                    "{name}: the Python functions return their tables and write no file"
                )));
            }
            let value = if value.is_none() {
                continue;
            } else if value.is_instance_of::<PyBool>() {
                return Err(PyValueError::new_err(format!(
                    "{name}: expected a number or a string, got a bool"
                )));
            } else if value.is_instance_of::<PyInt>() {
                toml::Value::Integer(value.extract().map_err(|_| {
                    PyValueError::new_err(format!("{name}: {value} is out of range"))
                })?)
            } else if value.is_instance_of::<PyFloat>() {
                toml::Value::Float(value.extract()?)
            } else if value.is_instance_of::<PyString>() {
                toml::Value::String(value.extract()?)
            } else if let Ok(number) = value.extract::<f64>() {
                // NumPy scalars and the like.
                toml::Value::Float(number)
            } else {
                return Err(PyValueError::new_err(format!(
                    "{name}: expected a number or a string, got {}",
                    value.get_type().name()?
                )));
            };
            table.insert(name.replace('_', "-"), value);
        }
    }
    let options: Options = table.try_into().map_err(|e: toml::de::Error| {
        PyValueError::new_err(format!("keyword arguments: {}", e.message()))
    })?;
    Ok(options)
}

/// The problem of the options, with its propagator decided for this machine (refused, as the
/// binaries refuse it, when it cannot fit in memory).
fn problem_from(
    options: &Options,
    measurement: MeasurementMemory,
) -> Result<DynamicsProblem, Error> {
    let mut problem = options.completed()?.problem()?;
    problem.measurement = measurement;
    problem.propagator = problem.decided_propagator()?;
    Ok(problem)
}

/// Columns being filled, by name, in the order of the experiment's CSV.
struct Columns(Vec<(String, Vec<f64>)>);

impl Columns {
    fn new(names: &[&str]) -> Self {
        Columns(names.iter().map(|s| (s.to_string(), Vec::new())).collect())
    }

    /// One row, a cell per column; an empty cell is NaN.
    fn push(&mut self, cells: &[Option<f64>]) {
        debug_assert_eq!(
            cells.len(),
            self.0.len(),
            "row length differs from the header"
        );
        for ((_, column), cell) in self.0.iter_mut().zip(cells) {
            column.push(cell.unwrap_or(f64::NAN));
        }
    }

    fn into_dict(self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let dict = PyDict::new(py);
        for (name, column) in self.0 {
            dict.set_item(name, column.into_pyarray(py))?;
        }
        Ok(dict.unbind())
    }
}

/// Runs `work` with the GIL released. `work` is handed a check to call as it goes:
/// it fails, stopping the run, once Ctrl-C has been pressed, and the call then raises
/// `KeyboardInterrupt`; a library error is raised as [`to_python`] says.
fn detached<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(&mut dyn FnMut() -> pickl_core::Result<()>) -> pickl_core::Result<T> + Send,
) -> PyResult<T> {
    let mut interrupted = None;
    let result = py.detach(|| {
        let mut check = || match Python::attach(|py| py.check_signals()) {
            Ok(()) => Ok(()),
            Err(e) => {
                interrupted = Some(e);
                Err(Error::Numerical("interrupted".into()))
            }
        };
        work(&mut check)
    });
    match interrupted {
        Some(e) => Err(e),
        None => result.map_err(to_python),
    }
}

/// Runs the dynamics with the GIL released, `observe` called at every output time (Ctrl-C
/// honoured there and after every matvec of a step).
fn run_dynamics(
    py: Python<'_>,
    problem: &DynamicsProblem,
    mut observe: impl FnMut(&pickl_core::studies::dynamics::Moment<'_>) -> pickl_core::Result<()> + Send,
) -> PyResult<()> {
    use pickl_core::studies::dynamics::Stage;
    detached(py, |check| {
        problem
            .evolve_from(None, |stage| match stage {
                Stage::Moment(moment) => {
                    check()?;
                    observe(moment)
                }
                Stage::Working { .. } => check(),
                Stage::Pause(..) => Ok(()),
            })
            .map(|_| ())
    })
}

/// The `dynamics` experiment: the exact many-body dynamics beside the Hartree system (2.10).
///
/// Keyword arguments are the flags of `dynamics --help` with underscores (``sites``, ``n1``,
/// ``n2``, ``t_max``, ``steps``, ``v12="gauss:0.5,1"``, ``prefactors="common"``, …), with the same
/// defaults. Returns a dict from the columns of the CSV (``t``, ``alpha11``, ``alpha10``,
/// ``alpha01``, ``energy_mb``, ``energy_hartree``, ``norm``, ``error_estimate``, ``matvecs``, and
/// ``alpha11_vs_2_10`` with common prefactors) to NumPy arrays.
///
/// Example: ``pickl.dynamics(sites=4, n1=10, n2=10, t_max=3, steps=30)["alpha11"]``.
#[pyfunction]
#[pyo3(signature = (**flags))]
fn dynamics(py: Python<'_>, flags: Option<&Bound<'_, PyDict>>) -> PyResult<Py<PyDict>> {
    let options = options_from(flags)?;
    let problem = problem_from(&options, MeasurementMemory::NONE).map_err(to_python)?;
    let mut columns = Columns::new(&problem.columns());
    run_dynamics(py, &problem, |moment| {
        columns.push(&moment.row.cells());
        Ok(())
    })?;
    columns.into_dict(py)
}

/// The `counting` experiment: Pickl's counting along the exact dynamics.
///
/// Same keyword arguments as :func:`dynamics`. Returns ``(table, pi, alpha_k)``, each a dict of
/// NumPy arrays: the main table (the columns of the CSV: ``t``, ``alpha11``, …, the natural
/// occupations, the lemma slacks and the BBGKY columns; empty cells are NaN), the counting
/// distribution in long form (``FILE_pi.csv``: ``t``, ``k_a``, ``k_b``, ``probability``) and the
/// (2.25) table (``FILE_alpha_k.csv``: ``t``, ``k1``, ``k2``, ``alpha``, …).
#[pyfunction]
#[pyo3(signature = (**flags))]
fn counting(
    py: Python<'_>,
    flags: Option<&Bound<'_, PyDict>>,
) -> PyResult<(Py<PyDict>, Py<PyDict>, Py<PyDict>)> {
    let options = options_from(flags)?;
    let problem = problem_from(&options, COUNTING_MEMORY).map_err(to_python)?;
    let names = counting_columns(problem.model.sites());
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut table = Columns::new(&name_refs);
    let mut pi = Columns::new(&DISTRIBUTION_COLUMNS);
    let mut fractions = Columns::new(&FRACTION_COLUMNS);
    let mut run = CountingRun::new(&problem).map_err(to_python)?;
    run_dynamics(py, &problem, |moment| {
        let rows = run.observe(moment)?;
        table.push(&rows.cells);
        for row in &rows.distribution {
            pi.push(&row.map(Some));
        }
        for cells in rows.fraction_cells() {
            fractions.push(&cells);
        }
        Ok(())
    })?;
    Ok((
        table.into_dict(py)?,
        pi.into_dict(py)?,
        fractions.into_dict(py)?,
    ))
}

/// The `bogoliubov` experiment: the N → ∞ side, the exact limit curves of N·α from the
/// Bogoliubov fluctuations of the mixture.
///
/// Keyword arguments as :func:`dynamics` (only c₁, c₂ of N₁, N₂ enter), plus ``ratio``
/// (``"a:b"``, instead of ``n1``, ``n2``). Returns a dict of NumPy arrays with the columns of the
/// CSV (``t``, ``n_alpha11_limit``, …).
#[pyfunction]
#[pyo3(signature = (ratio = None, **flags))]
fn bogoliubov(
    py: Python<'_>,
    ratio: Option<&str>,
    flags: Option<&Bound<'_, PyDict>>,
) -> PyResult<Py<PyDict>> {
    let options = BogoliubovProblem::with_ratio(options_from(flags)?, ratio)
        .and_then(|o| o.completed())
        .map_err(to_python)?;
    let problem = BogoliubovProblem::from_options(&options).map_err(to_python)?;
    if let Some(available) = available_memory() {
        problem.check_memory(available).map_err(to_python)?;
    }
    let mut columns = Columns::new(&BOGOLIUBOV_COLUMNS);
    detached(py, |check| {
        problem.run(|row| {
            check()?;
            columns.push(&row.cells().map(Some));
            Ok(())
        })
    })?;
    columns.into_dict(py)
}

/// A model, validated as the command line validates it: the flags of :func:`dynamics` as
/// keyword arguments. It holds the output times (``t_max``, ``steps``) and the initial pair.
#[pyclass(name = "Model", module = "pickl", frozen)]
struct PyModel {
    problem: DynamicsProblem,
    basis_a: FockBasis,
    basis_b: FockBasis,
}

/// An occupation table, one row per Fock state in rank order (the row index of Ψ for species A,
/// the column index for B).
fn occupation_table<'py>(py: Python<'py>, basis: &FockBasis) -> Bound<'py, PyArray2<i64>> {
    let rows: Vec<Vec<i64>> = (0..basis.dim())
        .map(|i| basis.occupation(i).iter().map(|&n| n as i64).collect())
        .collect();
    PyArray2::from_vec2(py, &rows).expect("rows of equal length")
}

fn complex_array<'py>(
    py: Python<'py>,
    values: &[pickl_core::C64],
) -> Bound<'py, PyArray1<Complex64>> {
    values
        .iter()
        .map(|z| Complex64::new(z.re, z.im))
        .collect::<Vec<_>>()
        .into_pyarray(py)
}

#[pymethods]
impl PyModel {
    #[new]
    #[pyo3(signature = (**flags))]
    fn new(flags: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let options = options_from(flags)?;
        let problem = problem_from(&options, MeasurementMemory::NONE).map_err(to_python)?;
        let m = problem.model.sites();
        let basis = |n| FockBasis::new(m, n).map_err(to_python);
        Ok(PyModel {
            basis_a: basis(problem.model.species_a().particles)?,
            basis_b: basis(problem.model.species_b().particles)?,
            problem,
        })
    }

    /// Number of sites M.
    #[getter]
    fn sites(&self) -> usize {
        self.problem.model.sites()
    }

    /// (N₁, N₂).
    #[getter]
    fn particles(&self) -> (usize, usize) {
        (self.basis_a.particles(), self.basis_b.particles())
    }

    /// (D_A, D_B), the shape of Ψ.
    #[getter]
    fn shape(&self) -> (usize, usize) {
        (self.basis_a.dim(), self.basis_b.dim())
    }

    /// The output times t_k = kT/K.
    #[getter]
    fn times<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.problem.times.clone().into_pyarray(py)
    }

    /// The initial orbitals (u₀, v₀).
    #[getter]
    fn initial_orbitals<'py>(
        &self,
        py: Python<'py>,
    ) -> (
        Bound<'py, PyArray1<Complex64>>,
        Bound<'py, PyArray1<Complex64>>,
    ) {
        (
            complex_array(py, &self.problem.u0),
            complex_array(py, &self.problem.v0),
        )
    }

    /// The occupation tables of species A and B: row i holds (n_0, …, n_{M−1}) of Fock state i.
    fn occupations<'py>(
        &self,
        py: Python<'py>,
    ) -> (Bound<'py, PyArray2<i64>>, Bound<'py, PyArray2<i64>>) {
        (
            occupation_table(py, &self.basis_a),
            occupation_table(py, &self.basis_b),
        )
    }
}

/// One output time of a run, as the worker thread hands it over.
struct Snapshot {
    t: f64,
    state: Vec<pickl_core::C64>,
    u: Vec<pickl_core::C64>,
    v: Vec<pickl_core::C64>,
    row: pickl_core::studies::dynamics::DynamicsRow,
}

/// The iterator :func:`evolve` returns: the run proceeds in a worker thread one output time
/// ahead of the reader (one state held at a time), and stops when the iterator is dropped.
#[pyclass(module = "pickl")]
struct Evolution {
    receiver: Mutex<Receiver<Result<Snapshot, Error>>>,
    shape: (usize, usize),
}

#[pymethods]
impl Evolution {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&self, py: Python<'_>) -> PyResult<Option<Py<PyDict>>> {
        let received: PyResult<Option<Result<Snapshot, Error>>> = py.detach(|| {
            // Wait in slices so that Ctrl-C is seen while a long step runs.
            loop {
                let receiver = self.receiver.lock().expect("the receiver is not shared");
                match receiver.recv_timeout(std::time::Duration::from_millis(200)) {
                    Ok(item) => return Ok(Some(item)),
                    Err(RecvTimeoutError::Disconnected) => return Ok(None),
                    Err(RecvTimeoutError::Timeout) => {
                        drop(receiver);
                        Python::attach(|py| py.check_signals())?;
                    }
                }
            }
        });
        let snapshot = match received? {
            None => return Ok(None),
            Some(Err(e)) => return Err(to_python(e)),
            Some(Ok(snapshot)) => snapshot,
        };
        let dict = PyDict::new(py);
        let psi = complex_array(py, &snapshot.state).reshape([self.shape.0, self.shape.1])?;
        dict.set_item("t", snapshot.t)?;
        dict.set_item("psi", psi)?;
        dict.set_item("u", complex_array(py, &snapshot.u))?;
        dict.set_item("v", complex_array(py, &snapshot.v))?;
        let row = snapshot.row;
        dict.set_item("alpha11", row.alpha11)?;
        dict.set_item("alpha10", row.alpha10)?;
        dict.set_item("alpha01", row.alpha01)?;
        dict.set_item("energy_mb", row.energy_mb)?;
        dict.set_item("energy_hartree", row.energy_hartree)?;
        dict.set_item("error_estimate", row.error_estimate)?;
        Ok(Some(dict.unbind()))
    }
}

/// Runs a model's dynamics and yields, at every output time, a dict with ``t``, ``psi`` (Ψ(t) as
/// a complex array of shape (D_A, D_B), a copy; rows and columns are the Fock states of
/// :meth:`Model.occupations`), the Hartree pair ``u``, ``v`` and the figures of the
/// ``dynamics`` table (``alpha11``, …).
#[pyfunction]
fn evolve(model: &PyModel) -> Evolution {
    let (sender, receiver) = sync_channel(1);
    let problem = model.problem.clone();
    std::thread::spawn(move || {
        let result = problem.evolve(|moment| {
            let snapshot = Snapshot {
                t: moment.row.t,
                state: moment.state.to_vec(),
                u: moment.hartree.u.clone(),
                v: moment.hartree.v.clone(),
                row: moment.row,
            };
            sender
                .send(Ok(snapshot))
                .map_err(|_| Error::Numerical("the reader has gone".into()))
        });
        if let Err(e) = result {
            let _ = sender.send(Err(e));
        }
    });
    Evolution {
        receiver: Mutex::new(receiver),
        shape: (model.basis_a.dim(), model.basis_b.dim()),
    }
}

fn from_numpy(z: &Complex64) -> pickl_core::C64 {
    pickl_core::C64::new(z.re, z.im)
}

/// An orbital (any NumPy layout) as the library's vector.
fn to_library(values: &PyReadonlyArray1<'_, Complex64>) -> Vec<pickl_core::C64> {
    values.as_array().iter().map(from_numpy).collect()
}

impl PyModel {
    /// Ψ as the library's row-major vector, refused unless it has the model's shape.
    fn state(&self, psi: &PyReadonlyArray2<'_, Complex64>) -> PyResult<Vec<pickl_core::C64>> {
        if psi.shape() != [self.basis_a.dim(), self.basis_b.dim()] {
            return Err(PyValueError::new_err(format!(
                "psi has shape {:?}, the model's states have ({}, {})",
                psi.shape(),
                self.basis_a.dim(),
                self.basis_b.dim()
            )));
        }
        Ok(psi.as_array().iter().map(from_numpy).collect())
    }
}

/// α^(1,1), α^(1,0), α^(0,1) of a state Ψ (shape (D_A, D_B)) of a model against orbitals u, v.
#[pyfunction]
fn indicators(
    model: &PyModel,
    psi: PyReadonlyArray2<'_, Complex64>,
    u: PyReadonlyArray1<'_, Complex64>,
    v: PyReadonlyArray1<'_, Complex64>,
) -> PyResult<(f64, f64, f64)> {
    let state = model.state(&psi)?;
    let (u, v) = (to_library(&u), to_library(&v));
    let found = IndicatorWorkspace::new(&model.basis_a, &model.basis_b)
        .indicators(&state, &u, &v)
        .map_err(to_python)?;
    Ok((found.alpha11, found.alpha10, found.alpha01))
}

/// γ^(k₁,k₂) of a state (SPEC §4) in the orthonormal occupation basis of k₁ A- and k₂
/// B-particles: returns ``(gamma, occupations_a, occupations_b)``, the matrix indexed
/// i·len(occupations_b) + j and the occupation tables of its two factors (for k = 1 the rows are
/// the sites, in rank order).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn reduced_density<'py>(
    py: Python<'py>,
    model: &PyModel,
    psi: PyReadonlyArray2<'_, Complex64>,
    k1: usize,
    k2: usize,
) -> PyResult<(
    Bound<'py, PyArray2<Complex64>>,
    Bound<'py, PyArray2<i64>>,
    Bound<'py, PyArray2<i64>>,
)> {
    let state = model.state(&psi)?;
    let gamma = pickl_core::measure::reduced::reduced_density(
        &model.basis_a,
        &model.basis_b,
        &state,
        k1,
        k2,
    )
    .map_err(to_python)?;
    let n = gamma.matrix.nrows();
    let rows: Vec<Vec<Complex64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| Complex64::new(gamma.matrix[(i, j)].re, gamma.matrix[(i, j)].im))
                .collect()
        })
        .collect();
    Ok((
        PyArray2::from_vec2(py, &rows).expect("a square matrix"),
        occupation_table(py, &gamma.basis_a),
        occupation_table(py, &gamma.basis_b),
    ))
}

/// The joint counting distribution π(k_A, k_B) = ⟨Ψ, P^A_{k_A} P^B_{k_B} Ψ⟩ of a state against
/// orbitals u, v (the numbers of particles outside the condensates), as an array of shape
/// (N₁ + 1, N₂ + 1).
#[pyfunction]
fn counting_distribution<'py>(
    py: Python<'py>,
    model: &PyModel,
    psi: PyReadonlyArray2<'_, Complex64>,
    u: PyReadonlyArray1<'_, Complex64>,
    v: PyReadonlyArray1<'_, Complex64>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let state = model.state(&psi)?;
    let (u, v) = (to_library(&u), to_library(&v));
    let frame = CondensateFrame::new(&model.basis_a, &model.basis_b).map_err(to_python)?;
    let in_frame = frame.to_frame(&state, &u, &v).map_err(to_python)?;
    let pi = CountingDistribution::from_frame_state(&model.basis_a, &model.basis_b, &in_frame)
        .map_err(to_python)?;
    let (n1, n2) = (model.basis_a.particles(), model.basis_b.particles());
    let rows: Vec<Vec<f64>> = (0..=n1)
        .map(|ka| (0..=n2).map(|kb| pi.probability(ka, kb)).collect())
        .collect();
    Ok(PyArray2::from_vec2(py, &rows).expect("rows of equal length"))
}

/// Text columns (the long tables of `proof`, whose `group` and `term` are names): a column whose
/// every cell reads as a number becomes a float array (empty cells NaN), any other an array of
/// strings.
struct TextColumns {
    order: Vec<String>,
    cells: Vec<Vec<Option<String>>>,
}

impl TextColumns {
    fn new(names: &[&str]) -> Self {
        TextColumns {
            order: names.iter().map(|s| s.to_string()).collect(),
            cells: vec![Vec::new(); names.len()],
        }
    }

    fn push(&mut self, row: Vec<Option<String>>) {
        for (column, cell) in self.cells.iter_mut().zip(row) {
            column.push(cell);
        }
    }

    fn into_dict(self, py: Python<'_>) -> PyResult<Py<PyDict>> {
        let dict = PyDict::new(py);
        let numpy = py.import("numpy")?;
        for (name, column) in self.order.iter().zip(self.cells) {
            let numbers: Option<Vec<f64>> = column
                .iter()
                .map(|cell| match cell.as_deref() {
                    None | Some("") => Some(f64::NAN),
                    Some(text) => text.parse().ok(),
                })
                .collect();
            match numbers {
                Some(values) => dict.set_item(name, values.into_pyarray(py))?,
                None => {
                    let texts: Vec<String> =
                        column.into_iter().map(Option::unwrap_or_default).collect();
                    dict.set_item(name, numpy.call_method1("array", (texts,))?)?
                }
            }
        }
        Ok(dict.unbind())
    }
}

/// The `proof` experiment: §5 of the paper at finite N along the exact dynamics.
///
/// Keyword arguments as :func:`dynamics`, plus ``r_s`` (the exponents of (A2): ``"scan"``,
/// ``"r:s"`` or ``"r1:s1,r2:s2,r12:s12"``). Returns ``(terms, steps, wide)``: the long table of
/// every term against its bounds (``FILE.csv``; ``group`` and ``term`` as strings), the ledger of
/// every step (``FILE_steps.csv``) and the wide table (``FILE_wide.csv``), each a dict of NumPy
/// arrays.
#[pyfunction]
#[pyo3(signature = (r_s = "scan", **flags))]
fn proof(
    py: Python<'_>,
    r_s: &str,
    flags: Option<&Bound<'_, PyDict>>,
) -> PyResult<(Py<PyDict>, Py<PyDict>, Py<PyDict>)> {
    let exponents: ExponentChoice = r_s.parse().map_err(to_python)?;
    let options = options_from(flags)?;
    let problem = problem_from(&options, PROOF_MEMORY).map_err(to_python)?;
    let mut run = ProofRun::new(&problem, exponents).map_err(to_python)?;
    let mut evaluated = problem.clone();
    evaluated.times = run.evaluation_times();
    let mut terms = TextColumns::new(&TERM_COLUMNS);
    let mut steps = TextColumns::new(&STEP_COLUMNS);
    let mut wide = Columns::new(&WIDE_COLUMNS);
    run_dynamics(py, &evaluated, |moment| {
        let observed = run.observe(moment)?;
        if let Some(output) = observed.output {
            for row in &output.terms {
                terms.push(row.cells(output.t));
            }
            for step in &output.steps {
                steps.push(step.cells(output.t));
            }
        }
        if let Some(row) = observed.wide {
            wide.push(&row.cells());
        }
        Ok(())
    })?;
    Ok((
        terms.into_dict(py)?,
        steps.into_dict(py)?,
        wide.into_dict(py)?,
    ))
}

/// The `scaling` experiment: the approach to N → ∞ at a fixed ratio N₁ : N₂, kept in memory
/// (nothing is written; the command line's study writes and resumes a directory).
///
/// Keyword arguments as :func:`dynamics` without ``n1``, ``n2``, plus ``ratio`` (``"a:b"``,
/// default ``"1:1"``), ``n_total`` (``"8..40:8"``, ``"16..2048:x2"`` or a list ``"10,20,40"``) and
/// ``r_s`` (as for :func:`proof`). Returns ``(table, fits)``: the columns of ``scaling.csv``
/// (one row per size and time: ``n1``, ``n2``, ``t``, ``alpha11``, ``n_alpha11``, the bounds, …)
/// and of ``fit.csv`` (one row per time: ``gamma``, ``limit``, ``bogoliubov_limit``, …), each a
/// dict of NumPy arrays (empty cells NaN).
#[pyfunction]
#[pyo3(signature = (ratio = None, n_total = None, r_s = None, **flags))]
fn scaling(
    py: Python<'_>,
    ratio: Option<&Bound<'_, PyAny>>,
    n_total: Option<&Bound<'_, PyAny>>,
    r_s: Option<&Bound<'_, PyAny>>,
    flags: Option<&Bound<'_, PyDict>>,
) -> PyResult<(Py<PyDict>, Py<PyDict>)> {
    let options = options_from(flags)?;
    let settings = Settings {
        ratio: spec_argument("ratio", ratio, Some(":"), "\"2:1\" or (2, 1)")?,
        n_total: spec_argument(
            "n_total",
            n_total,
            Some(","),
            "\"8..40:8\", 40 or [10, 20, 40]",
        )?,
        r_s: spec_argument("r_s", r_s, None, "\"scan\"")?,
        out_dir: None,
    };
    let plan = StudyPlan::in_memory(options, settings).map_err(to_python)?;
    let study = detached(py, |check| {
        let mut study = Study::open(plan, "pickl.scaling")?;
        study.run(|_| check())?;
        Ok(study)
    })?;
    let mut table = Columns::new(&SCALING_COLUMNS);
    for row in study.table().numeric() {
        table.push(&row.cells());
    }
    let mut fits = Columns::new(&FIT_COLUMNS);
    for fit in study.fits() {
        fits.push(&fit.cells());
    }
    Ok((table.into_dict(py)?, fits.into_dict(py)?))
}

/// A study setting given as its command-line text, or (where `separator` is given) as a
/// non-negative integer or a list or tuple of them, joined with `separator` (`n_total=40`,
/// `n_total=[10, 20, 40]`, `ratio=(2, 1)`); anything else is a ValueError naming the argument.
fn spec_argument(
    name: &str,
    value: Option<&Bound<'_, PyAny>>,
    separator: Option<&str>,
    example: &str,
) -> PyResult<Option<String>> {
    let Some(value) = value else {
        return Ok(None);
    };
    if value.is_instance_of::<PyString>() {
        return Ok(Some(value.extract::<String>()?));
    }
    let integer = |item: &Bound<'_, PyAny>| -> Option<u64> {
        if item.is_instance_of::<PyBool>() {
            return None;
        }
        item.cast::<PyInt>().ok()?.extract::<u64>().ok()
    };
    if let Some(separator) = separator {
        if let Some(n) = integer(value) {
            return Ok(Some(n.to_string()));
        }
        let items: Option<Vec<u64>> = if let Ok(list) = value.cast::<PyList>() {
            list.iter().map(|item| integer(&item)).collect()
        } else if let Ok(tuple) = value.cast::<PyTuple>() {
            tuple.iter().map(|item| integer(&item)).collect()
        } else {
            None
        };
        if let Some(items) = items.filter(|items| !items.is_empty()) {
            let texts: Vec<String> = items.iter().map(u64::to_string).collect();
            return Ok(Some(texts.join(separator)));
        }
    }
    Err(PyValueError::new_err(format!(
        "{name}: expected {example}, got {}",
        value
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_else(|_| "a value that cannot be shown".into())
    )))
}

/// pickl: finite-N tests of the mean-field theorem for a mixture of two Bose–Einstein
/// condensates (Michelangeli–Olgiati), from Python.
#[pymodule]
fn pickl(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(dynamics, module)?)?;
    module.add_function(wrap_pyfunction!(counting, module)?)?;
    module.add_function(wrap_pyfunction!(proof, module)?)?;
    module.add_function(wrap_pyfunction!(bogoliubov, module)?)?;
    module.add_function(wrap_pyfunction!(scaling, module)?)?;
    module.add_function(wrap_pyfunction!(evolve, module)?)?;
    module.add_function(wrap_pyfunction!(indicators, module)?)?;
    module.add_function(wrap_pyfunction!(reduced_density, module)?)?;
    module.add_function(wrap_pyfunction!(counting_distribution, module)?)?;
    module.add_class::<PyModel>()?;
    module.add_class::<Evolution>()?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
