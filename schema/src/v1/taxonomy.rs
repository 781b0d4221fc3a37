//! Fixed vocabularies of protocol v1 (PROTOCOL.md §5): offer categories, talent-pool skills,
//! activity categories, feedback grades, need levels, station kinds, and the micro-wish (微心愿)
//! taxonomy of special groups.
//!
//! The source document names "4 major and 16 minor categories of special groups" served by the
//! 微心愿·我帮办 project without listing them; the list below is ours, built from the groups the
//! document does name (the elderly, infants and children, people in special difficulty) and the
//! usual civil-affairs categories. Adding a value to a vocabulary is a revision of v1 (PROTOCOL.md
//! §1.1 item 5); changing or removing one is a new `v`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What an offer (资源清单 entry) provides.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum OfferCategory {
    /// A place: a station (驿站), canteen, meeting room, study room.
    Venue,
    /// A service delivered by the organisation: repairs, haircuts, free clinics.
    Service,
    /// People with a skill from the talent pool (属地人才库) volunteering their time.
    VolunteerSkill,
    /// Goods: emergency supplies, umbrellas, medical supplies.
    Material,
    /// Money for a project.
    Funding,
}

/// A professional skill in the talent pool (属地人才库).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Skill {
    /// 医疗救护
    MedicalAid,
    /// 网络安全
    NetworkSecurity,
    /// 法律咨询
    Legal,
    /// 心理咨询
    Psychological,
    /// 健康教育
    HealthEducation,
    /// 养老照护
    ElderlyCare,
    /// 托育照护
    ChildCare,
    /// 家电维修
    Repair,
    /// 理发按摩
    Hairdressing,
    /// 文体活动
    CultureSports,
    /// 助残扶困
    DisabilityAssistance,
    /// 课业辅导 (homework help for children, e.g. the 四点半课堂 after school)
    Tutoring,
    /// Anything else; say what in the description.
    Other,
}

/// What kind of activity an `activity.published` announces, and what a `checkin.attested`
/// credits: the categories the district counts service under.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum ActivityCategory {
    /// 志愿服务
    VolunteerService,
    /// 主题党日
    PartyDay,
    /// 联席会议
    JointMeeting,
    /// “3+2”入户走访
    HomeVisit,
    /// 文化活动
    Culture,
    /// 学习教育
    Study,
    /// 其他
    Other,
}

/// How a host community grades a reporting member's service over a period in its feedback to
/// the member's home (`feedback.sent`, 表现反馈): 优秀 / 良好 / 一般 / 较差.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum FeedbackGrade {
    /// 优秀
    Excellent,
    /// 良好
    Good,
    /// 一般
    Fair,
    /// 较差
    Poor,
}

/// A part of a week a member is usually free (每周可服务时段): a day and a part of it, wire
/// names `mon-am` … `sun-eve`. Members share theirs when they report to a community.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum WeeklySlot {
    /// 周一上午
    MonAm,
    /// 周一下午
    MonPm,
    /// 周一晚上
    MonEve,
    /// 周二上午
    TueAm,
    /// 周二下午
    TuePm,
    /// 周二晚上
    TueEve,
    /// 周三上午
    WedAm,
    /// 周三下午
    WedPm,
    /// 周三晚上
    WedEve,
    /// 周四上午
    ThuAm,
    /// 周四下午
    ThuPm,
    /// 周四晚上
    ThuEve,
    /// 周五上午
    FriAm,
    /// 周五下午
    FriPm,
    /// 周五晚上
    FriEve,
    /// 周六上午
    SatAm,
    /// 周六下午
    SatPm,
    /// 周六晚上
    SatEve,
    /// 周日上午
    SunAm,
    /// 周日下午
    SunPm,
    /// 周日晚上
    SunEve,
}

/// Where a need is handled: 小事不出网格、大事不出村居、难事不出镇街.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum NeedLevel {
    Grid,
    Community,
    Street,
}

/// The five station kinds of 初心家园 + 五大驿站, plus the other venues the district runs.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum StationKind {
    /// 便民驿站
    Convenience,
    /// 书香驿站
    Reading,
    /// 运动驿站
    Sports,
    /// 零工驿站
    OddJobs,
    /// 社工驿站
    SocialWork,
    /// 睦邻食堂
    Canteen,
    /// 日间照料点
    DayCare,
    /// 学生自习室
    StudyRoom,
    /// 党群服务中心 and other venues
    Other,
}

/// The four major special groups served by micro-wishes.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum MicroWishGroup {
    /// 老年人
    Elderly,
    /// 困境儿童
    Children,
    /// 残疾人
    Disabled,
    /// 困难家庭
    HardshipFamily,
}

/// The sixteen minor categories; each belongs to exactly one major group.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum MicroWishCategory {
    /// 独居老人
    ElderlyLivingAlone,
    /// 空巢老人
    ElderlyEmptyNest,
    /// 失能半失能老人
    ElderlyDependent,
    /// 高龄老人 (80+)
    ElderlyOver80,
    /// 留守儿童
    ChildLeftBehind,
    /// 孤儿与事实无人抚养儿童
    ChildOrphan,
    /// 困境家庭儿童
    ChildInHardship,
    /// 单亲家庭儿童
    ChildSingleParent,
    /// 肢体残疾
    DisabledPhysical,
    /// 视力残疾
    DisabledVisual,
    /// 听力言语残疾
    DisabledHearingSpeech,
    /// 智力精神残疾
    DisabledIntellectualMental,
    /// 低保家庭
    HardshipSubsistence,
    /// 特困供养人员
    HardshipExtremePoverty,
    /// 大病患者家庭
    HardshipSeriousIllness,
    /// 优抚对象家庭
    HardshipEntitledGroups,
}

impl MicroWishCategory {
    pub const ALL: [MicroWishCategory; 16] = [
        Self::ElderlyLivingAlone,
        Self::ElderlyEmptyNest,
        Self::ElderlyDependent,
        Self::ElderlyOver80,
        Self::ChildLeftBehind,
        Self::ChildOrphan,
        Self::ChildInHardship,
        Self::ChildSingleParent,
        Self::DisabledPhysical,
        Self::DisabledVisual,
        Self::DisabledHearingSpeech,
        Self::DisabledIntellectualMental,
        Self::HardshipSubsistence,
        Self::HardshipExtremePoverty,
        Self::HardshipSeriousIllness,
        Self::HardshipEntitledGroups,
    ];

    pub fn group(self) -> MicroWishGroup {
        use MicroWishCategory::*;
        match self {
            ElderlyLivingAlone | ElderlyEmptyNest | ElderlyDependent | ElderlyOver80 => {
                MicroWishGroup::Elderly
            }
            ChildLeftBehind | ChildOrphan | ChildInHardship | ChildSingleParent => {
                MicroWishGroup::Children
            }
            DisabledPhysical
            | DisabledVisual
            | DisabledHearingSpeech
            | DisabledIntellectualMental => MicroWishGroup::Disabled,
            HardshipSubsistence
            | HardshipExtremePoverty
            | HardshipSeriousIllness
            | HardshipEntitledGroups => MicroWishGroup::HardshipFamily,
        }
    }
}

/// Primary (A) or backup (B) holder of a post (AB角); B takes over in emergency mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum PostRole {
    A,
    B,
}

/// 平时 / 急时.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Mode {
    Routine,
    Emergency,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use strum::VariantArray;

    fn same_names<T>()
    where
        T: strum::VariantArray + serde::Serialize + Copy + Into<&'static str> + std::str::FromStr,
        <T as std::str::FromStr>::Err: std::fmt::Debug,
    {
        for v in T::VARIANTS {
            let name: &'static str = (*v).into();
            assert_eq!(serde_json::to_value(v).unwrap(), name);
            assert!(name.parse::<T>().is_ok());
        }
    }

    #[test]
    fn strum_and_serde_give_every_vocabulary_the_same_names() {
        same_names::<OfferCategory>();
        same_names::<Skill>();
        same_names::<NeedLevel>();
        same_names::<StationKind>();
        same_names::<MicroWishGroup>();
        same_names::<MicroWishCategory>();
        same_names::<Mode>();
        same_names::<WeeklySlot>();
        same_names::<ActivityCategory>();
        same_names::<FeedbackGrade>();
    }

    #[test]
    fn feedback_grades_are_the_four_of_protocol_section_5() {
        let names: Vec<&str> = FeedbackGrade::VARIANTS.iter().map(|g| g.as_str()).collect();
        assert_eq!(names, ["excellent", "good", "fair", "poor"]);
    }

    #[test]
    fn activity_categories_are_the_seven_of_protocol_section_5() {
        let names: Vec<&str> = ActivityCategory::VARIANTS
            .iter()
            .map(|c| c.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "volunteer-service",
                "party-day",
                "joint-meeting",
                "home-visit",
                "culture",
                "study",
                "other"
            ]
        );
    }

    #[test]
    fn four_groups_of_four() {
        let mut per_group: HashMap<MicroWishGroup, usize> = HashMap::new();
        for c in MicroWishCategory::ALL {
            *per_group.entry(c.group()).or_default() += 1;
        }
        assert_eq!(per_group.len(), 4);
        assert!(per_group.values().all(|n| *n == 4));
    }
}

/// The one mapping of each vocabulary to its wire names: strum's and serde's names agree (a
/// test checks), so code never writes the names out by hand.
macro_rules! names {
    ($($t:ident),*) => {$(
        impl $t {
            /// The wire name, e.g. `volunteer-skill`.
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }
    )*};
}
names!(
    OfferCategory,
    Skill,
    NeedLevel,
    StationKind,
    MicroWishGroup,
    MicroWishCategory,
    Mode,
    WeeklySlot,
    ActivityCategory,
    FeedbackGrade
);
