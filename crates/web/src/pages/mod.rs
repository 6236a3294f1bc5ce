//! Server-rendered pages, in Chinese.
//!
//! Every page struct carries a [`Chrome`] (title, navigation, the signed-in
//! user, the CSRF token) that `templates/base.html` renders around it. Pages
//! are grouped by system; this module holds the shared pieces and the home
//! and section pages.

pub mod account;
pub mod admin;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use yiwang_core::{Role, Timestamp};

use crate::auth::csrf::CsrfToken;
use crate::auth::Viewer;
use crate::error::{AppError, PageError};

/// The user as the navigation shows them.
#[derive(Debug, Clone)]
pub struct NavUser {
    pub display_name: String,
    pub role_label: &'static str,
    pub is_admin: bool,
    pub is_bidder: bool,
    pub is_officer: bool,
}

/// What every page's frame needs.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub title: String,
    /// `exchange`, `grid`, `services` or empty: highlights the navigation.
    pub section: &'static str,
    pub user: Option<NavUser>,
    pub csrf: String,
}

impl Chrome {
    pub fn titled(mut self, title: impl Into<String>, section: &'static str) -> Chrome {
        self.title = title.into();
        self.section = section;
        self
    }

    /// The frame of an error page rendered outside any request context.
    pub fn bare(title: &str) -> Chrome {
        Chrome {
            title: title.to_owned(),
            section: "",
            user: None,
            csrf: String::new(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Chrome {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let viewer = parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .unwrap_or_default();
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        Ok(Chrome {
            title: String::new(),
            section: "",
            user: viewer.0.map(|u| NavUser {
                display_name: u.user.display_name.clone(),
                role_label: u.user.role.label(),
                is_admin: u.user.role == Role::Admin,
                is_bidder: u.user.role == Role::Bidder,
                is_officer: u.user.role == Role::ExchangeOfficer,
            }),
            csrf,
        })
    }
}

/// Renders a template into a response.
pub fn render<T: Template>(t: &T) -> Result<Response, PageError> {
    let html = t
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok(Html(html).into_response())
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    heading: &'a str,
    message: &'a str,
    details: Vec<String>,
}

/// The page shown for an error.
pub fn error_page(status: StatusCode, message: &str, details: &[String]) -> String {
    let heading = match status {
        StatusCode::NOT_FOUND => "页面不存在",
        StatusCode::FORBIDDEN => "无法访问",
        StatusCode::UNAUTHORIZED => "请先登录",
        StatusCode::TOO_MANY_REQUESTS => "操作过于频繁",
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "提交的内容有误",
        _ => "出错了",
    };
    ErrorPage {
        chrome: Chrome::bare(heading),
        heading,
        message,
        details: details.to_vec(),
    }
    .render()
    .unwrap_or_else(|_| {
        format!(
            "<!DOCTYPE html><title>{heading}</title><p>{}</p>",
            escape(message)
        )
    })
}

/// A time for display: "2021年01月08日 11:00:00", or "—" for none.
pub fn show_time(at: Option<i64>) -> String {
    at.map(|t| Timestamp::from_micros(t).format_cn())
        .unwrap_or_else(|| "—".to_owned())
}

/// Page links for a list: "上一页 · 第 n / m 页 · 下一页", keeping the
/// other query parameters.
pub fn pager(base: &str, query: &[(&str, String)], page: u32, size: u32, total: u64) -> String {
    let pages = total.div_ceil(u64::from(size.max(1))).max(1) as u32;
    let link = |p: u32| {
        let mut q: Vec<(&str, String)> = query
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .cloned()
            .collect();
        q.push(("page", p.to_string()));
        format!(
            "{base}?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    };
    let mut out = String::from("<nav class=\"pager\" aria-label=\"分页\">");
    if page > 1 {
        out.push_str(&format!(
            "<a href=\"{}\" rel=\"prev\">上一页</a>",
            escape(&link(page - 1))
        ));
    }
    out.push_str(&format!("<span>第 {page} / {pages} 页</span>"));
    if page < pages {
        out.push_str(&format!(
            "<a href=\"{}\" rel=\"next\">下一页</a>",
            escape(&link(page + 1))
        ));
    }
    out.push_str("</nav>");
    out
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    chrome: Chrome,
}

/// `GET /`
pub async fn index(chrome: Chrome) -> Result<Response, PageError> {
    render(&IndexPage {
        chrome: chrome.titled("首页", ""),
    })
}

#[derive(Template)]
#[template(path = "section.html")]
struct SectionPage {
    chrome: Chrome,
    heading: &'static str,
    intro: &'static str,
    /// The system's entry points: (address, title, what it holds).
    links: &'static [(&'static str, &'static str, &'static str)],
    items: &'static [&'static str],
}

/// `GET /exchange`
pub async fn exchange_home(chrome: Chrome) -> Result<Response, PageError> {
    render(&SectionPage {
        chrome: chrome.titled("土地交易", "exchange"),
        heading: "国有建设用地使用权网上交易",
        intro: "市区国有建设用地使用权通过网上挂牌方式公开出让，竞买申请、保证金缴纳、报价和限时竞价均在网上进行。",
        links: &[
            ("/exchange/notices", "出让公告", "已发布的出让公告、补充公告和终止公告"),
            ("/exchange/listings", "挂牌地块", "按用途、状态、区域、价格查询挂牌地块，进入网上竞价"),
            ("/exchange/my", "我的竞买", "竞买企业的申请、保证金、竞买资格和竞买号"),
        ],
        items: &[
            "出让公告：地块位置、用途、面积、规划指标、起始价、加价幅度与保证金",
            "竞买申请与联合竞买，保证金到账后自动取得竞买资格和竞买号",
            "挂牌报价与限时竞价，限房价竞地价及其后续程序",
            "成交公示、成交确认书和未成交保证金退还",
        ],
    })
}

/// `GET /grid`
pub async fn grid_home(chrome: Chrome) -> Result<Response, PageError> {
    render(&SectionPage {
        chrome: chrome.titled("网格服务", "grid"),
        heading: "网格化服务管理 “一张网”",
        intro: "全区划分综合网格和专属网格，每个网格配备网格长，姓名、电话和网格范围向社会公开，群众有事就近找网格。",
        links: &[
            ("/grid/lookup", "查找我的网格", "在地图上点选或输入经纬度，查到所在网格和网格长"),
            ("/grid/directory", "网格长名录", "全部网格的网格长姓名、联系电话和网格面积，可搜索、可导出"),
            ("/api/v1/grids.geojson", "网格边界开放数据", "全部网格边界（GeoJSON，WGS84 经纬度）"),
            ("/grid/report", "群众报事", "无需登录，反映身边的隐患和问题，受理后告知事件编号"),
            ("/grid/events", "事件工作台", "网格员、网格长、指挥中心和职能部门办理网格事件"),
        ],
        items: &[
            "按地址、地图位置或门牌二维码查找所在网格和网格长",
            "网格员巡查走访，隐患和问题随手上报",
            "事件分拨、处置、核查、结案和评价全程可查",
            "网格运行情况考核与数据质量治理",
        ],
    })
}

/// `GET /services`
pub async fn services_home(chrome: Chrome) -> Result<Response, PageError> {
    render(&SectionPage {
        chrome: chrome.titled("企业与职工服务", "services"),
        heading: "企业与职工服务",
        intro: "面向企业的政企通诉求办理和工信E通服务，面向职工的新型学徒制、集体协商和网上调解。",
        links: &[
            (
                "/services/requests",
                "政企通 · 企业诉求",
                "企业在线提交诉求，分派到责任部门限时答复，企业评价；诉求对接超市",
            ),
            (
                "/services/subsidies",
                "新型学徒制补贴",
                "企业登记学徒、按年度申报补贴，人社部门逐人审核并生成发放名单",
            ),
            (
                "/services/contracts",
                "集体合同",
                "企业和行业集体合同、工资专项集体协议登记，到期提醒和覆盖情况统计",
            ),
            (
                "/services/dashboard",
                "服务数据看板",
                "各项服务按年、按月统计的图表和 Excel（工作人员）；同样的数据以 JSON 公开",
            ),
            (
                "/services/mediation",
                "不见面维权 · 劳动争议网上调解",
                "职工或企业在网上申请调解，调解员受理、线上沟通、安排调解会并记录结果，全程可查",
            ),
            (
                "/services/lectures",
                "工信E通 · 大讲堂",
                "人力资源管理、市场营销、财务税务等方面的精品课程，企业组织员工学习，结业证书在线核验",
            ),
        ],
        items: &[
            "政企通：企业诉求分派到责任部门，限时办结，企业评价",
            "工信E通：大讲堂在线课程、服务卡、千企询访",
            "新型学徒制补贴申报与审核",
            "集体合同登记与到期提醒，劳动争议网上调解",
        ],
    })
}

/// Fallback for unknown paths.
pub async fn not_found() -> PageError {
    PageError(AppError::NotFound)
}
