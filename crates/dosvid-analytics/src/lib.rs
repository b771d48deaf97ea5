//! Analytics: the in-memory columnar index of feedback records that answers every dashboard
//! question without touching SQL tables, and the query model it answers. Pure computation: the
//! server builds the index from the store's facts and appends to it on every write.

mod bootstrap;
pub mod calendar;
mod cx;
mod drivers;
mod funnel;
mod impact;
mod index;
mod journey;
mod moments;
mod query;
mod restrict;
mod revenue;
mod scan;
mod themes;
mod value_chain;

pub use calendar::{Bucket, Zone};
pub use cx::{
    Component, CxIndexRequest, CxIndexResult, CxIndexRow, CxWeights, RETENTION_WINDOW_DAYS,
};
pub use drivers::{
    Driver, DriverDesign, DriversRequest, DriversResult, MatrixPoint, Outcome, PrioritiesRequest,
    PrioritiesResult, Problem,
};
pub use funnel::{
    FunnelDrop, FunnelGroup, FunnelRequest, FunnelResult, FunnelStep, FunnelStepResult,
};
pub use impact::{
    ImpactBin, ImpactCell, ImpactMetric, ImpactRequest, ImpactResult, Interval, ParallelTrends,
};
pub use index::{Directory, Index, STANDARD_ATTRIBUTES};
pub use journey::{JourneyMap, StageMeasures, TouchpointMeasures};
pub use moments::{Moment, MomentsRequest, MomentsResult};
pub use query::{
    ComparePeriod, CompareTo, Distribution, Filters, MAX_GROUP_BY, MAX_GROUPS, Measure, Metric,
    Named, OneOrMany, Period, QueryRequest, QueryResult, RecordPage, ResultRow,
};
pub use restrict::{Restricted, Restriction};
pub use revenue::{RetentionRequest, RetentionResult, RetentionRow};
pub use themes::{ThemeReport, ThemeReportRequest, ThemeRow};
pub use value_chain::{
    NpsPointValue, ValueChainBy, ValueChainGroup, ValueChainRequest, ValueChainResult,
};

#[cfg(test)]
mod drivers_tests;
#[cfg(test)]
mod tests;
