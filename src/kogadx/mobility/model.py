"""Data model of the dial-a-ride problem (DARP), shared by the solver, loader and checker.

Node numbering follows Cordeau (2006) so that solutions can be re-checked by anyone:

* ``0``            start depot
* ``1 .. n``       pick-up of request ``i``
* ``n+1 .. 2n``    drop-off of request ``i`` (node ``n+i``)
* ``2n+1``         end depot

Units: coordinates in any planar unit (Cordeau: abstract units in ``[-10, 10]^2``; the
dispatch simulation uses metres in EPSG:6670), times in minutes. In Cordeau's instances
travel time equals Euclidean distance (one distance unit per minute).

Constraints modelled (standard DARP):

* each request is served once, pick-up and drop-off by the same vehicle, pick-up first;
* the vehicle load never exceeds its capacity;
* service at node ``i`` starts within ``[earliest_i, latest_i]`` (waiting is allowed);
* ride time of a user = start of drop-off service - (start of pick-up + pick-up service)
  ``<= max_ride_time``;
* route duration = start at end depot - start at start depot ``<= max_route_duration``.

Objective: total travel distance (sum of Euclidean arc lengths, no rounding).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class DarpNode:
    """One stop: a depot, a pick-up or a drop-off.

    Attributes:
        node_id: Cordeau node number (see module docstring).
        x, y: planar coordinates (distance units).
        service_min: service duration at the node (minutes).
        load: load change (+passengers at pick-up, -passengers at drop-off, 0 at depots).
        earliest, latest: time window on the START of service (minutes).
    """

    node_id: int
    x: float
    y: float
    service_min: float
    load: int
    earliest: float
    latest: float


@dataclass(frozen=True)
class DarpVehicle:
    """A vehicle: seat capacity and maximum route duration (minutes)."""

    capacity: int
    max_route_duration: float


@dataclass(frozen=True)
class DarpInstance:
    """A static DARP instance in Cordeau's numbering (``2n+2`` nodes).

    ``travel_speed`` converts distance to minutes (time = distance / speed); Cordeau uses 1.
    """

    name: str
    n_requests: int
    nodes: tuple[DarpNode, ...]
    vehicles: tuple[DarpVehicle, ...]
    max_ride_time: float
    travel_speed: float = 1.0
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        n = self.n_requests
        if len(self.nodes) != 2 * n + 2:
            raise ValueError(
                f"{self.name}: ノード数 {len(self.nodes)} が 2n+2 = {2 * n + 2} と一致しません"
            )
        for k, node in enumerate(self.nodes):
            if node.node_id != k:
                raise ValueError(f"{self.name}: {k} 行目のノード番号が {node.node_id} です")
            if node.earliest > node.latest:
                raise ValueError(f"{self.name}: ノード {k} の時間窓 earliest > latest")
        for i in range(1, n + 1):
            if self.nodes[i].load != -self.nodes[n + i].load or self.nodes[i].load <= 0:
                raise ValueError(
                    f"{self.name}: 依頼 {i} の乗車 ({self.nodes[i].load}) と降車 "
                    f"({self.nodes[n + i].load}) の人数が対応しません"
                )

    @property
    def n_vehicles(self) -> int:
        return len(self.vehicles)

    @property
    def end_depot(self) -> int:
        return 2 * self.n_requests + 1

    def pickup(self, request: int) -> int:
        """Pick-up node of request ``request`` (1-based)."""
        return request

    def dropoff(self, request: int) -> int:
        """Drop-off node of request ``request`` (1-based)."""
        return request + self.n_requests

    def coordinates(self) -> np.ndarray:
        """``(2n+2, 2)`` array of node coordinates."""
        return np.array([[nd.x, nd.y] for nd in self.nodes], dtype=float)

    def distance_matrix(self) -> np.ndarray:
        """Euclidean distances between all nodes (float64, no rounding)."""
        xy = self.coordinates()
        diff = xy[:, None, :] - xy[None, :, :]
        return np.sqrt((diff**2).sum(axis=2))

    def travel_time_matrix(self) -> np.ndarray:
        """Travel times in minutes: distance / ``travel_speed``."""
        return self.distance_matrix() / self.travel_speed


@dataclass
class DarpSolution:
    """Routes in Cordeau numbering (each starts at 0 and ends at 2n+1; unused vehicles
    have ``[0, 2n+1]``) and the start-of-service time at each node of each route (minutes).

    ``cost`` is the total Euclidean distance recomputed in floating point.
    """

    instance_name: str
    routes: list[list[int]]
    start_times: list[list[float]]
    cost: float
    seconds: float = 0.0
    status: str = ""

    def to_dict(self) -> dict:
        """JSON-ready dict (see ``benchmarks/results/darp_cordeau/*.json``)."""
        return {
            "instance": self.instance_name,
            "cost": round(self.cost, 6),
            "seconds": round(self.seconds, 3),
            "status": self.status,
            "vehicles": [
                {
                    "vehicle": k,
                    "route": [int(v) for v in route],
                    "service_start": [round(float(t), 6) for t in times],
                }
                for k, (route, times) in enumerate(zip(self.routes, self.start_times, strict=False))
            ],
        }
