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
