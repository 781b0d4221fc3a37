# Tongxin web UI: 简体中文（默认语言）.
# Every key here must also be in the other catalogue (a unit test checks both ways).
# Keys that are protocol names (categories, organisation kinds, levels, statuses) are
# looked up from data: keep them spelled as the protocol spells them.

## App and navigation

app = 同心
offers = 资源清单
needs = 需求清单
claims = 认领
roster = 联盟成员
exchange = 消息交换
sign_in = 登录
sign_out = 退出
username = 用户名
password = 密码
other_lang = English

## Filters

all_categories = 全部类别
all_kinds = 全部组织类型
all_levels = 全部层级
search = 搜索标题或描述
filter = 筛选

## Offer categories (the protocol's names)

venue = 场地
service = 服务
volunteer-skill = 志愿技能
material = 物资
funding = 资金

## Organisation kinds (the protocol's names)

street = 街道党工委
community = 社区大党委
building-alliance = 楼e家党建联盟
new-employment = 新就业群体党支部
co-building-unit = 共建单位
org-department = 区委组织部

## Need levels (street and community are above)

grid = 网格

## Statuses of offers, needs and claims

open = 进行中
withdrawn = 已撤回
fulfilled = 已完成
pending = 待决定
accepted = 已接受
declined = 已谢绝

## Skills (the protocol's names, after skill-)

skill-medical-aid = 医疗救护
skill-network-security = 网络安全
skill-legal = 法律咨询
skill-psychological = 心理咨询
skill-health-education = 健康教育
skill-elderly-care = 养老照护
skill-child-care = 托育照护
skill-repair = 家电维修
skill-hairdressing = 理发按摩
skill-culture-sports = 文体活动
skill-disability-assistance = 助残扶困
skill-tutoring = 课业辅导
skill-other = 其他

## Pages and forms

skills = 技能
grids = 网格
capacity = 容量
unit = 单位
reason = 原因
withdraw = 撤回
publish_offer = 发布资源
publish_need = 发布需求
publish = 发布
title = 标题
description = 描述
category = 类别
level = 层级
micro_wish = 微心愿
fulfil = 标记完成
escalate = 上报街道
claim = 认领
no_offer = 不指定资源
note = 备注
claimant = 认领方
need = 需求
status = 状态
accept = 接受
decline = 谢绝
name = 名称
kind = 类型
parent = 上级
stream_health = 各成员消息流
peer = 发送方
applied = 已应用
known_head = 已知最新
missing_since = 缺失
rejected = 被拒绝的消息
sender = 发送方
detail = 详情
saved = 已保存并发送给联盟。
too_many_sign_ins = 登录尝试过于频繁，请稍后再试。
admin_only = 此页面仅限管理员。

## Weekly slots a member is free (the protocol's WeeklySlot names, after slot-)
slot-mon-am = 周一上午
slot-mon-pm = 周一下午
slot-mon-eve = 周一晚上
slot-tue-am = 周二上午
slot-tue-pm = 周二下午
slot-tue-eve = 周二晚上
slot-wed-am = 周三上午
slot-wed-pm = 周三下午
slot-wed-eve = 周三晚上
slot-thu-am = 周四上午
slot-thu-pm = 周四下午
slot-thu-eve = 周四晚上
slot-fri-am = 周五上午
slot-fri-pm = 周五下午
slot-fri-eve = 周五晚上
slot-sat-am = 周六上午
slot-sat-pm = 周六下午
slot-sat-eve = 周六晚上
slot-sun-am = 周日上午
slot-sun-pm = 周日下午
slot-sun-eve = 周日晚上

## Members and 双报到
members = 成员
my_page = 我的
reports = 报到
register_member = 登记成员
register = 登记
display_name = 称呼
display_name_hint = 如：张老师;不填则为“张同志”
phone = 手机
department = 部门
residence = 居住社区
availability = 可服务时段
emergency_ready = 急时可调
yes = 是
no = 否
import_members = 批量导入
import_help = CSV 文件,UTF-8 或 GBK(Excel“另存为 CSV”即可)。表头:姓名,称呼,手机,部门,居住社区,网格,技能,可服务时段,急时可调。技能、时段之间用顿号分隔。
import_file = 文件
import_mode = 方式
mode-dry-run = 只检查,不导入
mode-all = 全部无误才导入
mode-skip-invalid = 导入无误的行,跳过有误的行
import = 导入
import_result = 导入结果
file_encoding = 文件编码
rows = 行数
valid = 无误
imported = 已导入
import_all_good = 每一行都无误。
import_has_errors = 以下各行有误,请改正后重新导入,或选择“导入无误的行”。
row = 行
column = 列
value = 内容
problem = 问题
import-missing = 必填项为空
import-bad_phone = 不是有效的手机号(11 位,1 开头)
import-duplicate_phone = 手机号已登记,或在文件中重复
import-unknown_skill = 不是人才库中的技能
import-unknown_slot = 不是有效的时段(周一上午 … 周日晚上)
import-unknown_community = 名册上没有这个组织
import-not_a_community = 不是社区
import-unknown_grid = 不是该社区的网格
import-bad_flag = 请填“是”或“否”
import-too_long = 内容太长
import-too_many = 项目太多
import-bad_file = 文件无法读取(请用 CSV)
export_csv = 导出 CSV
search_members = 姓名或手机
all_members = 全部成员
has_reported = 已报到
not_reported = 未报到
reporting_rate = 报到率
by_department = 按部门
by_community = 按社区
report_status = 报到情况
report = 报到
report_to = 报到社区
report_to_community = 到居住社区报到(双报到)
report_help = 社区只会看到您同意提供的信息;姓名和手机号留在本单位。
set_password = 设置初始密码
reset_password = 重设密码
new_password = 新密码(至少 8 位)
current_password = 当前密码
sign_in_name = 登录名
save = 保存
reports_received = 收到的报到
reports_sent = 本单位成员的报到
receipt = 回执
all_grids = 全部网格
all_skills = 全部技能
name_not_shared = (未提供称呼)
decline_reason = 婉拒理由
no_reports = 还没有报到。
share_name = 提供称呼
share_skills = 提供技能
share_availability = 提供可服务时段
my_profile = 我的信息
my_reports = 我的报到
change_password = 修改密码
person_name = 姓名
community_col = 社区
member_only = 此页面仅限成员本人使用。
more_errors = 只列出前 1000 处错误;错误总数:

# Signing in with your home organisation
signin_with_home = 用你的组织登录
signin-help = 你是其他组织的党员？选择你所在的组织，在那里登录并确认后回到这里。本站看不到你的密码，也不会得到你的姓名和电话。
signin-already = 你已登录：
continue = 继续
signin-no_homes = 联盟名册上还没有可以登录的其他组织（名册需写明各组织的网址）。
signin-staff = 本组织的工作人员和党员请直接
signin-pick_home = 请选择名册上的一个其他组织。
signin-refused = 无法登录
signin-again = 重新选择组织登录
signin-confirm = 确认你的身份
signin-asks = 请你确认身份。确认后，你将回到该组织的页面。
signin-share = 同意告诉对方
signin-never_shared = 你的姓名、电话和本组织的内部编号不会告诉对方；对方只知道你是本组织的党员。
signin-allow = 确认并返回
cancel = 取消
signin-members_only = 只有本组织的党员可以用本组织的身份到其他组织登录。
visit = 来访党员
visitor = 来访党员
home_org = 所在组织
visit-help = 你通过所在组织的确认登录了本站；本站只知道你同意告诉它的内容。
visit-reports = 我向本社区的报到
visit-no_reports = 你还没有向本社区报到。报到请在你所在组织的“我的页面”中进行。
signin-not_started = 这次登录不是在本站开始的，或已超过十五分钟。请重新选择你的组织登录。
signin-nonce_used = 这张登录凭证已经用过了，不能再用。请重新登录。
signin-other_home = 登录凭证来自另一个组织，与你选择的组织不符。
signin-cancelled = 你已取消登录，本站没有得到你的任何信息。
signin-no_token = 返回的链接中没有登录凭证。
signin-invalid = 登录凭证无效。
signin-wrong_audience = 这张登录凭证是签发给另一个组织的，不能在本站使用。
signin-certificate_expired = 登录凭证已过期（五分钟内有效），或签发它的证书已过期。请重新登录。
signin-nonce_mismatch = 登录凭证与本次登录不符（它属于另一次登录）。
signin-revoked = 签发这张凭证的组织的证书已被吊销。
signin-not_on_roster = 签发这张凭证的组织不在联盟名册上。
signin-unknown_issuer = 签发这张凭证的组织不属于本联盟。
signin-subject_mismatch = 凭证中的党员不是签发它的组织的党员。
signin-other_org = 其他组织的党员？用你的组织登录

# Co-building agreements
agreements = 共建协议
agreements-help = 共建单位、楼e家联盟和新就业群体党支部向社区报到：约定投入哪些资源、提供哪些服务、共建多长时间。社区同意后，双方各持一份由双方签名的协议；到期自动终止。
agreements-none = 还没有共建协议。
agreement-pending = 待社区确认
agreement-declined = 社区已婉拒
agreement-upcoming = 未到开始日期
agreement-in-force = 生效中
agreement-ended = 已到期
agreement-with = 与
agreement-from = 来自
agreement-term = 期限
agreement-resources = 投入资源
agreement-answer = 社区答复
agreement-document = 双方签名的协议
agreement-propose = 向社区提出共建协议（单位报到）
agreement-title_hint = 如：2027年度共建协议
agreement-services = 服务内容和承诺
agreement-services_hint = 如：每月一次义诊；开放会议室供社区使用
agreement-starts = 开始日期
agreement-ends = 结束日期（含当天）
agreement-send = 提交给社区

# Activities, sign-ups, check-in and the service record
activities = 活动
activities-help = 联盟各组织发布的活动和服务岗位。党员在本组织报名，主办方安排后由党员确认（确认后主办方才得到姓名和电话）；活动现场扫码签到、签退，服务时长由主办方签名证明并记入党员所在组织的服务记录。
activities-none = 目前没有进行中或即将开始的活动。
activity-cancelled = 已取消
activity-places = 名额
activity-skills_wanted = 需要的技能
activity-manage = 管理报名和签到
activity-sign_up = 报名
activity-publish = 发布活动
activity-category = 活动类型
activity-title_hint = 如：《写小山》诗歌朗诵会
activity-place = 地点
activity-date = 日期
activity-from = 开始时间
activity-to = 结束时间
activity-publish_button = 发布到联盟
activity-placed = 已安排
activity-show_qr = 显示签到二维码
activity-cancel = 取消活动
activity-signups = 报名
activity-place_member = 安排
activity-tick_in = 代为签到
activity-no_signups = 还没有人报名。
activity-qr_help = 请用手机扫码签到：先用你所在的组织登录，再点“签到”。活动结束离开时再扫一次签退。
activity-qr_changes = 二维码每分钟更换，拍照转发的二维码很快失效。
activity-back = 返回活动
activity-volunteer-service = 志愿服务
activity-party-day = 主题党日
activity-joint-meeting = 联席会议
activity-home-visit = “3+2”入户走访
activity-culture = 文化活动
activity-study = 学习教育
activity-other = 其他
signup-requested = 待安排
signup-placed = 已安排，待本人确认
signup-declined = 未安排
signup-confirmed = 已确认
signup-cancelled = 已取消
signup-confirm = 确认参加
checked_in_at = 签到
checked_out_at = 签退
minutes = 分钟
closed_by_host = 未签退，活动结束时由主办方关闭
check_in = 签到
check_out = 签退
checkin = 活动签到
checkin-credited = 服务时长已由主办方签名证明，发往你所在的组织。
checkin-not_placed = 你还没有这个活动的名额：请先在你所在的组织报名，并等待主办方安排。
not_found = 没有找到。
my_signups = 我的报名
my_record = 我的服务记录
record-total = 累计服务
record-hours = 小时
record-empty = 还没有记入的服务。
record-when = 时间
record-host = 主办方
record-kind = 类型
record-minutes = 时长（分钟）
browse_activities = 看看联盟的活动
export_record = 导出服务记录（CSV）
match-title = 精准匹配
match-score = 匹配度
match-help-members = 按技能、居住的网格和社区、该时段是否有空、近期服务时长为本单位成员排序（不含已报名的成员）。点“推荐报名”即代成员向主办方报名，只提供称呼和技能。
match-help-offers = 按所需类别、技能、服务网格和所在社区、街道为联盟内的资源排序。
match-propose = 推荐报名
match-none-members = 没有可推荐的成员。
match-none-offers = 联盟内暂无可用资源。
match-back = 返回
match-for-activity = 推荐本单位成员
match-for-need = 匹配资源
match-category = 类别相符
match-skills = 技能相符
match-same-grid = 同一网格
match-same-community = 同一社区
match-same-street = 同一街道
match-free = 该时段有空
match-recent-minutes = 近90天已服务
certificate-title = 服务时长证明
certificate-year = 年
certificate-all = 全部
certificate-text-1 = 兹证明
certificate-text-2 = 同志于
certificate-text-3 = 至
certificate-text-4 = 期间，在党建联盟各单位参加志愿服务等活动，经服务单位签名确认，累计服务时长
certificate-text-5 = 小时，共
certificate-text-6 = 次。特此证明。
certificate-check = 二维码是本证明的签名文件，可用 tongxin verify 或任何 JOSE 工具对照联盟根证书核验，无须联系本单位。
certificate-number = 证明编号
certificate-signed = 签名文件（复制后可核验）
certificate-print = 用浏览器的“打印”即可打印本页，导航和按钮不会打印出来。
certificate-link = 开具服务时长证明
