"""rounds: turn home-care packages into walkable rounds.

The pipeline is a chain of plain values::

    Problem -> build_matrices -> solve -> Plan -> check / JSON / tables

Start with :func:`rounds.solve` and :func:`rounds.check`.
"""

from rounds import io, network, report
from rounds.check import Violation, ViolationCode, check
from rounds.errors import InputError, RoundsError, RoundsWarning, SolverError
from rounds.matrix import HaversineSource, MatrixSource, ModeMatrix, TravelMatrices, build_matrices
from rounds.models import (
    Break,
    Carer,
    Client,
    GivenMatrix,
    Location,
    ObjectiveWeights,
    Package,
    Problem,
    Shift,
    TravelMode,
    TravelSettings,
    Visit,
    WorkingRules,
)
from rounds.network import NetworkSource
from rounds.plan import (
    Kpis,
    Plan,
    PlanKpis,
    ReasonCode,
    Round,
    SolveInfo,
    Stop,
    TakenBreak,
    UnallocatedVisit,
)
from rounds.solve import solve

__version__ = "0.1.0"

__all__ = [
    "Break",
    "Carer",
    "Client",
    "GivenMatrix",
    "HaversineSource",
    "InputError",
    "Kpis",
    "Location",
    "MatrixSource",
    "ModeMatrix",
    "NetworkSource",
    "ObjectiveWeights",
    "Package",
    "Plan",
    "PlanKpis",
    "Problem",
    "ReasonCode",
    "Round",
    "RoundsError",
    "RoundsWarning",
    "Shift",
    "SolveInfo",
    "SolverError",
    "Stop",
    "TakenBreak",
    "TravelMatrices",
    "TravelMode",
    "TravelSettings",
    "UnallocatedVisit",
    "Violation",
    "ViolationCode",
    "Visit",
    "WorkingRules",
    "__version__",
    "build_matrices",
    "check",
    "io",
    "network",
    "report",
    "solve",
]
