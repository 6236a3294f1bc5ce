//! The JSON API under `/api/v1` and its OpenAPI document.
//!
//! Errors answer `{"error": {"code", "message", "fields"}}` with a stable
//! `code` (see [`crate::error::AppError::code`]). State-changing JSON requests
//! need no CSRF token (see [`crate::auth::csrf`]) but do need a session where
//! the route says so.

use axum::Json;
use utoipa::OpenApi;

use crate::auth::routes as auth;
use crate::exchange::{bank, notice_api, results};
use crate::grid::api as grid_api;
use crate::grid::residents as grid_residents;
use crate::pages::admin;
use crate::services::stats;

/// The OpenAPI description of `/api/v1`.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "一网 Yiwang API", version = "1", description = "城市公共服务平台开放接口。金额以元为单位的十进制字符串表示（精确到分），时间为带 +08:00 时区的 RFC 3339 字符串。"),
    paths(
        auth::api_register,
        auth::api_login,
        auth::api_logout,
        auth::api_me,
        admin::api_audit,
        admin::api_users,
        notice_api::api_notices,
        notice_api::notices_csv,
        notice_api::api_listings,
        notice_api::listings_csv,
        results::api_results,
        bank::deposit_callback,
        grid_api::lookup,
        grid_api::geojson,
        grid_residents::api_create,
        stats::api_stats,
    ),
    components(schemas(
        bank::DepositArrival,
        bank::DepositAnswer,
        auth::RegisterForm,
        auth::LoginRequest,
        auth::AccountView,
        admin::AuditPageView,
        admin::AuditRecordView,
        admin::UsersPageView,
        admin::UserView,
        notice_api::NoticesPageData,
        notice_api::NoticeData,
        notice_api::SupplementData,
        notice_api::ParcelData,
        notice_api::RangeData,
        notice_api::BoundData,
        notice_api::SubLimitData,
        notice_api::TermsData,
        notice_api::UseTermData,
        notice_api::WindowsData,
        notice_api::WindowData,
        notice_api::RuleData,
        notice_api::PriceCapData,
        notice_api::FollowOnData,
        notice_api::ListingsPageData,
        notice_api::ListingData,
        notice_api::ResultData,
        results::PublishedResultsPage,
        results::PublishedResultData,
        results::WinnerData,
        grid_api::GridLookupData,
        grid_residents::ResidentRequest,
        grid_residents::ResidentCreated,
        stats::ServiceStats,
        stats::RequestFigures,
        stats::Count,
        stats::DepartmentFigures,
        stats::SubsidyFigures,
        stats::LevelFigures,
        stats::ContractFigures,
        stats::CoverageFigures,
        stats::VisitFigures,
        stats::LectureFigures,
        stats::AreaFigures,
        stats::MediationFigures,
        ErrorBody,
        ErrorDetail,
        FieldErrorView,
    )),
    tags(
        (name = "accounts", description = "账户与登录"),
        (name = "admin", description = "系统管理"),
        (name = "exchange", description = "土地交易开放数据：出让公告、挂牌地块与交易结果，无需登录"),
        (name = "bank", description = "银行保证金到账通知（HMAC-SHA256 签名）"),
        (name = "grid", description = "网格开放数据：按经纬度（WGS84）或标准地址查询所在网格及网格长，全部网格边界（GeoJSON），无需登录"),
        (name = "grid_staff", description = "网格工作人员接口：居民登记（需登录，仅限本人所在网格）"),
        (name = "services", description = "企业与职工服务开放数据：按年、按月统计的诉求、学徒补贴、集体合同等数字，不含个人和企业信息，无需登录"),
    )
)]
pub struct ApiDoc;

/// Every error answer.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// Stable code: invalid_input, unauthenticated, forbidden, not_found,
    /// conflict, rate_limited, csrf_failed, bad_signature, bad_request,
    /// outside_grids, address_not_found, internal.
    pub code: String,
    /// What went wrong, in Chinese.
    pub message: String,
    pub fields: Vec<FieldErrorView>,
}

#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FieldErrorView {
    pub field: String,
    pub message: String,
}

/// `GET /api/v1/openapi.json`
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
