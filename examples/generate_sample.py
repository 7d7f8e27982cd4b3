"""Write the offline demo data: four weeks of Korean/English brand mentions and survey answers (stdlib only).

    python examples/generate_sample.py            # rewrites examples/sample_mentions.jsonl + survey_feedback.csv
    python examples/generate_sample.py --stats    # also prints counts and the size of the Acme spike

Deterministic: the same seed gives byte-identical files, so the committed files can be checked against it.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

SEED = 20261119
START = datetime(2026, 10, 26, tzinfo=UTC)
DAYS = 28  # 2026-10-26T00:00Z … 2026-11-22T23:59Z
END = START + timedelta(days=DAYS) - timedelta(seconds=1)
SPIKE_START = datetime(2026, 11, 19, 10, tzinfo=UTC)  # 19:00 KST, the evening peak: an app outage + late deliveries
SPIKE_END = datetime(2026, 11, 19, 16, tzinfo=UTC)
SALE_DAY = datetime(2026, 11, 11, tzinfo=timezone(timedelta(hours=9)))  # 11.11 sale: more talk, not negative
KST = timezone(timedelta(hours=9))
HERE = Path(__file__).resolve().parent

# Baseline volume per brand and its sentiment mix (negative, neutral, positive); the competitors differ a little.
BRAND_VOLUME = {"Acme": 1560, "Globex": 860, "Initech": 600}
SENTIMENT_MIX = {"Acme": (0.25, 0.35, 0.40), "Globex": (0.30, 0.37, 0.33), "Initech": (0.22, 0.40, 0.38)}
SPIKE_EXTRA = 70  # extra negative Acme mentions in the six spike hours, before replies and reposts of the big posts
BURST_CAP = 3  # most negative mentions of one brand in one ordinary hour (see Generator.spread_bursts)
CHANNEL_MIX = {"x": 0.58, "reddit": 0.22, "appstore": 0.20}
KO_SHARE = {"x": 0.58, "reddit": 0.22, "appstore": 0.60}  # about half overall: Korean dominates X and app stores
TOPICS = ("delivery", "quality", "price", "support", "app", "returns", "store", "general")
TOPIC_WEIGHTS = (0.22, 0.15, 0.15, 0.12, 0.14, 0.10, 0.05, 0.07)
REVIEW_TOPIC_WEIGHTS = (0.20, 0.10, 0.08, 0.10, 0.38, 0.08, 0.01, 0.05)

# Share of the day's mentions in each hour, by local hour: a lunch bump, the evening peak, quiet nights.
HOUR_SHAPE = (0.70, 0.45, 0.25, 0.15, 0.10, 0.12, 0.25, 0.50, 0.75, 0.85, 0.90, 0.95,
              1.20, 1.05, 0.90, 0.90, 0.95, 1.00, 1.15, 1.35, 1.55, 1.70, 1.60, 1.20)  # fmt: skip
WEEKDAY_SHAPE = (1.10, 1.00, 1.00, 1.00, 0.95, 0.90, 1.05)  # Monday's delivery questions, a quieter Saturday

# --------------------------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------------------------

BRAND_NAMES_KO = {"Acme": "애크미", "Globex": "글로벡스", "Initech": "이니텍"}
SURFACES = {
    ("Acme", "ko"): ["애크미"] * 8 + ["Acme", "#애크미"],
    ("Acme", "en"): ["Acme"] * 7 + ["#Acme", "acme"],
    ("Globex", "ko"): ["글로벡스"] * 8 + ["Globex"],
    ("Globex", "en"): ["Globex"] * 7 + ["#Globex", "globex"],
    ("Initech", "ko"): ["이니텍"] * 8 + ["Initech"],
    ("Initech", "en"): ["Initech"] * 7 + ["#Initech", "initech"],
}
SUPPORT_HANDLE = {"Acme": "@acmehelp", "Globex": "@Globex", "Initech": "@Initech"}
SERVICES = {
    ("Acme", "ko"): ["애크미 나우", "애크미 플러스", "애크미 프레시", "애크미 새벽배송"],
    ("Acme", "en"): ["Acme Now", "Acme Plus", "Acme Fresh", "Acme's dawn delivery"],
    ("Globex", "ko"): ["글로벡스 익스프레스", "글로벡스 클럽", "글로벡스 로켓픽업"],
    ("Globex", "en"): ["Globex Express", "Globex Club", "Globex pickup"],
    ("Initech", "ko"): ["이니텍 퀵", "이니텍 마트", "이니텍 멤버스"],
    ("Initech", "en"): ["Initech Quick", "Initech Mart", "Initech Members"],
}
# Products by kind, so that only gadgets break, only food is fresh and only clothes come in the wrong size.
GOODS_KO = ["에어프라이어", "무선청소기", "블루투스 이어폰", "전기포트", "캠핑의자", "노트북 거치대", "게이밍 모니터",
            "전기장판", "가습기", "로봇청소기", "무선 키보드", "텀블러", "드라이기"]  # fmt: skip
FOOD_KO = ["딸기", "한우 선물세트", "귤 5키로", "절임배추", "사과 한 박스", "단감"]
WEAR_KO = ["러닝화", "롱패딩", "아이 패딩조끼", "겨울 코트", "니트", "청바지"]
OTHER_KO = ["기저귀", "샴푸 세트", "고양이 사료", "수분크림", "휴지 30롤", "겨울 이불", "김장 매트", "닭가슴살",
            "커피 캡슐", "생수 2L 12개", "빼빼로"]  # fmt: skip
GOODS_EN = ["an air fryer", "a cordless vacuum", "wireless earbuds", "a kettle", "a camping chair", "a laptop stand",
            "a gaming monitor", "a heated blanket", "a humidifier", "a robot vacuum", "a desk lamp",
            "a mechanical keyboard", "a hair dryer"]  # fmt: skip
FOOD_EN = ["strawberries", "a Korean beef gift set", "a box of tangerines", "a box of apples", "persimmons"]
WEAR_EN = ["running shoes", "a puffer jacket", "a winter coat", "jeans", "a knit sweater"]
OTHER_EN = ["diapers", "a shampoo set", "cat food", "a winter duvet", "a phone case", "a face moisturizer",
            "coffee pods", "protein bars", "a 12-pack of water"]  # fmt: skip
MEMBERSHIP_FEES = [4990, 7890, 9900, 11900]  # won a month
WON_AMOUNTS = [2000, 3000, 4900, 5000, 7890, 9900, 12900, 15000, 19800, 29000, 39000, 59000]
SHOPS_KO = ["성수", "강남", "홍대", "판교", "잠실", "해운대", "송도", "일산"]
SHOPS_EN = ["Seongsu", "Gangnam", "Hongdae", "Pangyo", "Jamsil", "Haeundae", "Songdo"]
WHEN_KO = ["어제", "오늘 아침", "그저께", "지난주", "어제 밤", "월요일에", "주말에", "방금"]
WHEN_EN = ["yesterday", "this morning", "last week", "on Monday", "last night", "over the weekend", "two days ago"]

GIVEN = ["minji", "jiwoo", "seoyeon", "hyunwoo", "jihoon", "sujin", "yuna", "dohyun", "haeun", "junho", "eunji",
         "taeyang", "sora", "mina", "jaewon", "hana", "seojun", "yerin", "donghyun", "ara", "jisoo", "kyungmin",
         "boram", "seungho", "nari", "yujin", "hyejin", "woojin", "daeun", "sangmin"]  # fmt: skip
SURNAMES = ["kim", "lee", "park", "choi", "jung", "kang", "cho", "yoon", "jang", "lim", "han", "shin", "oh", "seo"]
KO_HANDLE_WORDS = ["daily", "diary", "log", "mom", "papa", "cat", "dog", "eats", "runs", "home", "zip", "note"]
KO_KEYBOARD = ["dlwlsdud", "rlatjdgh", "qkrwldn", "whdgus", "tkfkd", "dkssud", "gksk", "dusdn", "rkdgml"]
EN_FIRST = ["sarah", "mike", "jess", "tom", "emily", "dan", "chris", "alex", "kate", "ryan", "nina", "matt", "leah",
            "josh", "amy", "ben", "olivia", "sam", "grace", "liam", "noah", "zoe", "ethan", "maya"]  # fmt: skip
EN_WORDS = ["in_seoul", "abroad", "eats", "codes", "runs", "reads", "travels", "writes", "games", "bakes", "the_dev"]
REVIEW_NICK_KO = ["별이맘", "김서방", "행복한하루", "쇼핑왕", "초보주부", "고양이집사", "퇴근각", "자취생",
                  "두아이아빠", "ㅇㅇ", "민트초코", "새벽형인간", "알뜰살뜰", "귤까는중"]  # fmt: skip
REVIEW_NICK_EN = ["Happy shopper", "jwk", "Frustrated customer", "Busy mom", "Seoul expat", "night owl", "K.L.",
                  "Grumpy reviewer", "coffee addict", "Student in Busan"]  # fmt: skip
SUBREDDITS = {"en": ["korea", "Living_in_Korea", "Frugal", "ecommerce", "seoul", "BuyItForLife"],
              "ko": ["hanguk", "korea", "hanguk", "seoul"]}  # fmt: skip
APP_IDS = {"Acme": "id1587723412", "Globex": "id1462034871", "Initech": "id1609388215"}

# --------------------------------------------------------------------------------------------------------------
# Text banks: {b} brand, {c} competitor, {p} product, {svc} service, {sup} support handle, {n} small number,
# {won}/{usd} prices, {when}, {shop}. `{b:은}` appends the Korean particle that fits the word before it.
# --------------------------------------------------------------------------------------------------------------

KO: dict[tuple[str, str], list[str]] = {
    ("delivery", "negative"): [
        "{b}에서 {p} 시켰는데 {n}일째 배송준비중",
        "{b} 배송 또 밀림.. 오늘 도착이라더니 내일로 바뀜",
        "{svc} 당일배송이라며 왜 {n}일이나 걸려요",
        "{b} 기사님이 문 앞 말고 경비실에 두고 가심.. 몇 번을 말씀드렸는데",
        "{p} 박스 다 찌그러져서 옴 {b} 포장 실화냐",
        "{b} 새벽배송 시켰는데 9시 넘어서 옴;; 출근 전에 받으려던 건데",
        "배송완료 떴는데 물건이 없어요 {b} 이거 어디로 간 거죠",
        "{b} 배송조회 {n}일째 그대로.. 택배가 어디서 자고 있나",
        "{p} 주문한 지 {n}일 됐는데 아직 출고도 안 됨 {b} 요즘 왜 이래",
        "{b} 배송 예정일 세 번 바뀜 ㅋㅋ 이쯤 되면 그냥 취소각",
    ],
    ("delivery", "neutral"): [
        "{b} 제주도도 익일배송 되나요?",
        "{b} 새벽배송 몇 시까지 주문해야 돼요?",
        "{svc} 지역 확대한다던데 우리 동네도 되려나",
        "{b} 무료배송 기준 {won} 이상으로 바뀌었네",
        "{when} {b}에서 {p} 주문함 도착은 모레 예정",
        "{b} 배송 기사님 바뀌었나 오늘은 다른 분이 오심",
        "{b} 택배 보통 몇 시쯤 와요? 집에 사람이 없어서",
    ],
    ("delivery", "positive"): [
        "{b} 배송 진짜 빠르네 {when} 시킨 {p} 벌써 옴",
        "{svc} 미쳤다 주문 {n}시간 만에 도착",
        "{b} 기사님 비 오는데 {p} 비닐까지 씌워서 두고 가심 감동",
        "역시 배송은 {b}",
        "{b} 새벽배송 덕분에 김장 재료 제때 받았어요",
        "밤 11시에 시킨 {p} 아침 7시에 문 앞에 있음 {b} 사랑해",
        "{b} 배송 알림 정확해서 좋아요 도착 10분 전에 문자 옴",
    ],
    ("quality", "negative"): [
        "{b}에서 산 {g} 일주일 만에 고장남",
        "{p} 사진이랑 완전 다름 {b} 상세페이지 이게 맞나",
        "{b} 딸기 반은 물러서 왔어요",
        "{b} 자체브랜드 {g} 마감 너무 허술해요",
        "유통기한 임박한 걸 보내주는 {b}..",
        "{b} {g} 두 번째 불량이에요 검수를 하긴 하나",
        "{g} 냄새 너무 심해서 못 쓰겠음 {b} 후기 믿었는데",
    ],
    ("quality", "neutral"): [
        "{b} {p} 써보신 분? 후기 좀 알려주세요",
        "{b} 자체브랜드 {p:이랑} 다른 브랜드 거랑 차이 있나요",
        "{p} {b}에서 살까 고민중",
        "{b} {p} 재입고 언제 되나요",
        "{b} 리뷰 보니까 {p} 호불호 갈리네",
    ],
    ("quality", "positive"): [
        "{b}에서 산 {p} 생각보다 퀄 좋음",
        "{b} 귤 진짜 달아요 재주문함",
        "{p} 가성비 최고 {b} 재구매 각",
        "{b} 자체브랜드 은근 괜찮네",
        "{b} 신선식품은 믿고 삼 {f} 상태 완벽",
        "{b}에서 {p} 샀는데 포장까지 깔끔하게 옴",
    ],
    ("price", "negative"): [
        "{b} 멤버십 또 올림? 월 {fee} 실화냐",
        "{p} {b:이} 제일 비쌈 ㅋㅋ 다른 데보다 {won} 더 비싸",
        "세일한다더니 {b} 가격 올려놓고 할인하는 거 다 티남",
        "{b} 무료배송 최소금액 올린 거 너무해요",
        "{b} 쿠폰 다 막아놓고 무슨 세일이에요",
        "장바구니 담아둔 {p} 하루 만에 {won} 오름 {b} 뭐야",
    ],
    ("price", "neutral"): [
        "{b} 블프 세일 언제부터예요?",
        "{b} 11.11 쿠폰 몇 시에 풀려요",
        "{svc} 해지하면 쿠폰 어떻게 되나요",
        "{b} 카드 할인 이번 달엔 어디 카드예요?",
        "{p} {b} 가격 추이 보는 중",
    ],
    ("price", "positive"): [
        "{b} 세일로 {p} {won}에 득템",
        "{b} 쿠폰 먹이니까 거의 반값 ㅋㅋ",
        "{svc} 본전 이미 뽑음",
        "{b} 최저가 보상 해줘서 차액 돌려받음",
        "{p} {b:이} 제일 싸네요 바로 결제",
    ],
    ("support", "negative"): [
        "{b} 고객센터 연결 {n}0분째 대기중",
        "{b} 챗봇 무한루프.. 상담원 연결 버튼 어디 있어요",
        "{b} 상담원이 환불 된다더니 다른 상담원은 안 된대요",
        "{sup} DM 보냈는데 {n}일째 답이 없네요",
        "{b} 고객센터 전화하면 계속 끊김",
        "{b} 문의 남기면 복붙 답변만 옴;;",
    ],
    ("support", "neutral"): [
        "{b} 고객센터 운영시간 몇 시까지예요?",
        "{b} 1:1 문의 답변 보통 얼마나 걸려요",
        "{sup} 주문 취소 문의 드렸어요 확인 부탁드려요",
        "{b} 상담 채팅 주말에도 되나요",
    ],
    ("support", "positive"): [
        "{b} 상담원분 너무 친절하셨어요",
        "{b} 고객센터 5분 만에 해결해줌 👍",
        "{sup} 빠른 답변 감사합니다 해결됐어요",
        "{b} 고객센터 요즘 엄청 빨라졌네",
        "{b} 상담원분이 먼저 보상 쿠폰까지 챙겨주심",
    ],
    ("app", "negative"): [
        "{b} 앱 업데이트하고 로그인이 계속 풀려요",
        "{b} 앱 결제 단계에서 자꾸 튕김",
        "{b} 앱 너무 무거움 켜는 데만 10초",
        "{b} 장바구니에 담은 거 왜 자꾸 사라져요",
        "{b} 앱 알림 너무 많이 와서 끔",
        "{b} 앱 검색 진짜 이상함 {p} 치면 엉뚱한 것만 나옴",
    ],
    ("app", "neutral"): [
        "{b} 앱 다크모드 생겼네",
        "{b} 웹이랑 앱 가격 다른가요?",
        "{b} 앱 새 버전 UI 바뀌었네",
        "{b} 앱에서 영수증 출력 어디서 해요",
    ],
    ("app", "positive"): [
        "{b} 앱 개편하고 훨씬 편해짐",
        "{b} 앱 재주문 기능 개꿀",
        "{b} 앱 배송추적 실시간으로 보여서 좋아요",
        "{b} 앱 진짜 가볍고 빠름",
    ],
    ("returns", "negative"): [
        "{b} 반품 신청했는데 {n}일째 회수를 안 와요",
        "{b} 환불 {n}주째 안 들어옴",
        "{b} 반품비 {won} 받는 거 너무함",
        "사이즈 교환 하나에 {b} 양식을 몇 개나 써야 돼요",
        "{b} 반품 거절당함 포장 뜯었다고..",
    ],
    ("returns", "neutral"): [
        "{b} 반품 회수 보통 며칠 걸려요?",
        "{b} 단순변심도 무료반품 되나요",
        "{b} 교환 신청하면 새 상품 먼저 보내주나요",
    ],
    ("returns", "positive"): [
        "{b} 반품 진짜 쉬움 앱에서 버튼 하나",
        "{b} 환불 당일에 들어옴 ㄷㄷ",
        "{b} 교환 바로 해줘서 감동",
        "{w} 사이즈 안 맞아서 반품했는데 {b} 회수 다음날 바로 옴",
    ],
    ("store", "negative"): [
        "{b} 스토어 {shop}점 직원분 너무 불친절",
        "{b} 스토어 픽업하러 갔는데 {n}0분 기다림",
        "{b} 매장에 재고 있다더니 가보니까 없대요",
    ],
    ("store", "neutral"): [
        "{b} 스토어 {shop}점 몇 시에 닫아요?",
        "{b} 오프라인 매장 {shop}에도 생겼네",
        "{b} 스토어 픽업 주차되나요",
    ],
    ("store", "positive"): [
        "{b} 스토어 {shop}점 직원분이 엄청 친절하게 설명해주심",
        "{b} 스토어 픽업 5분 컷",
        "{b} {shop}점 매장 깔끔하고 좋네요",
    ],
    ("general", "negative"): [
        "{b} 요즘 왜 이래",
        "{b} 탈퇴 진지하게 고민중",
        "{b} 예전 같지 않네요",
        "{b} 광고는 엄청 하면서 서비스는..",
    ],
    ("general", "neutral"): [
        "{b} 광고 또 나오네",
        "{b} 새 광고 모델 누구야",
        "{b} 본사 {shop}으로 이전한대",
        "{b} 쓰는 사람 생각보다 많구나",
    ],
    ("general", "positive"): [
        "{b} 없으면 못 살아",
        "{b} 진짜 찐으로 애정함",
        "요즘 장보기는 그냥 {b}",
        "{b} 이번 캠페인 광고 귀엽다",
    ],
}

EN: dict[tuple[str, str], list[str]] = {
    ("delivery", "negative"): [
        "Ordered {ap} from {b} {when} and it's still 'preparing'. {n} days now",
        "{b} moved my delivery date again. Third time this week",
        "{svc} is supposed to be same-day. It took {n} days",
        "{b} driver left my {p} in the rain outside the building. Box is soaked",
        "Tracking says delivered, there is no package. {b}, where did my {p} go",
        "{b} dawn delivery showed up at 10am. The whole point was before work",
        "My {p} from {b} arrived crushed, like someone sat on it",
        "{b} tracking hasn't moved in {n} days. Is my order on vacation",
    ],
    ("delivery", "neutral"): [
        "Does {b} deliver to Jeju next day?",
        "What's the cutoff time for {b} dawn delivery?",
        "{b} changed the free shipping minimum to {won}",
        "Ordered {ap} on {b} {when}, supposed to land Friday",
        "Is {svc} available outside Seoul yet?",
        "Anyone know what time {b} usually delivers in Mapo?",
    ],
    ("delivery", "positive"): [
        "{b} delivery is unreal. Ordered {ap} {when} and it was here by breakfast",
        "{svc} got my {p} here in {n} hours. How",
        "Shoutout to the {b} driver who carried my {p} up four floors",
        "Ordered at 11pm, {p} at my door at 7am. {b} never misses",
        "{b} text said 10 minutes away and it really was 10 minutes",
    ],
    ("quality", "negative"): [
        "The {g} I got from {b} broke after a week",
        "The {p} I got from {b} is nothing like the listing photos",
        "Half the strawberries from {b} were mushy. Not cheap either",
        "{b} house brand {g} feels so flimsy",
        "Second faulty {g} from {b} in a month. Do they check anything",
    ],
    ("quality", "neutral"): [
        "Anyone tried the {b} house brand {p}?",
        "Thinking about getting {ap} from {b}, worth it?",
        "When does {b} restock the {p}?",
        "Reviews on the {b} {p} are all over the place",
    ],
    ("quality", "positive"): [
        "The {p} from {b} is way better than I expected",
        "{b} tangerines this season are so sweet",
        "{b} house brand {p} is honestly great value",
        "{b} fresh produce never disappoints, the {f} was perfect",
    ],
    ("price", "negative"): [
        "{b} raised the membership again? {fee} a month is wild",
        "Found the same {p} for {usd} less everywhere except {b}",
        "{b} 'sale' prices are just the old prices. Nice try",
        "{b} hiked the free shipping minimum, not cool",
        "The {p} in my {b} cart went up {usd} overnight",
    ],
    ("price", "neutral"): [
        "When does the {b} Black Friday sale start?",
        "What time do the {b} 11.11 coupons drop?",
        "If I cancel {svc}, do I lose my coupons?",
        "Watching the {b} price on {ap} before I buy",
    ],
    ("price", "positive"): [
        "Got {ap} for {usd} in the {b} sale",
        "{b} coupon stacking got my order to almost half price lol",
        "{svc} has already paid for itself this year",
        "{b} price-matched my {p} without any fuss",
    ],
    ("support", "negative"): [
        "On hold with {b} support for {n}0 minutes now",
        "{b} chatbot is an infinite loop. How do I reach a human",
        "{b} agent promised a refund, the next agent says no refund",
        "{sup} sent you a DM {n} days ago, still nothing",
        "{b} support keeps pasting the same canned reply",
    ],
    ("support", "neutral"): [
        "What are {b} support hours on weekends?",
        "{sup} hi, I need to change the address on my order",
        "How long does {b} usually take to answer a ticket?",
    ],
    ("support", "positive"): [
        "{b} support sorted my issue in five minutes",
        "{sup} thanks for the quick help, all fixed",
        "The {b} agent I talked to was genuinely lovely",
        "{b} support sent a coupon before I even asked",
    ],
    ("app", "negative"): [
        "{b} app keeps logging me out since the update",
        "{b} app crashes every time I hit checkout",
        "The {b} app takes 10 seconds just to open",
        "My {b} cart keeps emptying itself",
        "{b} search is useless, typed {p} and got phone cases",
    ],
    ("app", "neutral"): [
        "{b} app has a dark mode now",
        "Are prices different on the {b} app vs the website?",
        "New {b} app update moved everything around",
        "Where do you download receipts in the {b} app?",
    ],
    ("app", "positive"): [
        "The new {b} app is so much smoother",
        "{b} one-tap reorder is a lifesaver",
        "Love that {b} shows the driver on a live map",
        "{b} app is fast now, nice work",
    ],
    ("returns", "negative"): [
        "Requested a return with {b} {n} days ago, nobody came to pick it up",
        "Still waiting on my {b} refund, week {n}",
        "{b} charging {won} for returns is a joke",
        "{b} rejected my return because I opened the box. How else would I check it",
    ],
    ("returns", "neutral"): [
        "How long do {b} return pickups usually take?",
        "Are change-of-mind returns free on {b}?",
        "Does {b} ship the replacement before the return arrives?",
    ],
    ("returns", "positive"): [
        "{b} returns are so easy, one button in the app",
        "{b} refunded me the same day",
        "Swapped the size on my {w} with {b}, zero hassle",
    ],
    ("store", "negative"): [
        "Staff at the {b} {shop} store were so rude today",
        "Waited {n}0 minutes for a pickup at {b} {shop}",
        "{b} site said in stock at {shop}, store said no",
    ],
    ("store", "neutral"): [
        "What time does the {b} {shop} store close?",
        "{b} opened a store in {shop}",
        "Is there parking at the {b} {shop} pickup point?",
    ],
    ("store", "positive"): [
        "The staff at {b} {shop} were super helpful",
        "Pickup at {b} {shop} took two minutes",
        "{b} {shop} store is really nicely done",
    ],
    ("general", "negative"): [
        "What happened to {b}? Used to be good",
        "Seriously thinking of cancelling {b}",
        "{b} spends more on ads than on customers",
    ],
    ("general", "neutral"): [
        "Another {b} ad before my video",
        "{b} is everywhere in Seoul lately",
        "Who's the new face in the {b} ads?",
    ],
    ("general", "positive"): [
        "Honestly can't imagine life here without {b}",
        "{b} has been carrying my grocery runs all year",
        "The new {b} ad is kind of adorable",
    ],
}

# The 2026-11-19 outage: app logins failing, payments hanging, orders stuck, deliveries late.
SPIKE_KO = [
    "{b} 앱 또 먹통",
    "{b} 앱 왜 안 들어가져요? 저만 그런가",
    "{b} 로그인 계속 튕김 ㅠㅠ",
    "{b} 결제하다가 멈췄는데 돈은 빠져나가고 주문내역은 없음",
    "{b} 주문 {n}일째 배송준비중인데 앱까지 안 열림",
    "{b} 고객센터 연결 대기 {n}0분째.. 앱 장애 공지라도 좀",
    "{sup} 앱 접속이 안 돼요 주문 확인 좀 해주세요",
    "{b} 서버 터졌나요 메인에서 무한로딩",
    "{b} 배송 지연 문자만 벌써 세 번째",
    "수능 끝나고 애들 먹일 거 주문했는데 {b} 앱도 안 되고 배송도 안 오고",
    "{b} 앱 로그아웃됐는데 다시 로그인이 안 됨 ㅋㅋ 장난하나",
    "오늘 도착이라던 {p} 내일로 밀렸대요 {b} 앱은 여전히 에러",
    "{b} 장애 몇 시간째임? 공지도 없고",
    "{b} 결제 두 번 됐어요 앱 먹통인 사이에",
    "{b} 오늘 진짜 최악이다 앱도 배송도",
    "{b} 앱 에러코드 503만 뜸",
]
SPIKE_EN = [
    "{b} app keeps logging me out and my order is {n} days late",
    "Is {b} down? App stuck on the splash screen",
    "{sup} your app has been down for an hour, can't even track my order",
    "{b} charged my card twice during the outage and the order doesn't show up",
    "Third 'delivery delayed' email from {b} today. Where is my stuff",
    "{b} status page says all systems operational. lol",
    "Can't log in to {b}, can't reach support, my {p} was due today",
    "{b} outage + late deliveries on the same day, impressive",
    "Every time I open the {b} app: 'something went wrong'",
    "{b} please just tell us what's going on, the app has been broken for hours",
    "My {b} order vanished from the app and the delivery is 'rescheduled'",
    "Error 503 on the {b} app for two hours now",
]
SPIKE_REDDIT_EN = [
    "Same here. {b} app logs me out every few minutes and my {p} is {n} days late",
    "Got charged twice by {b} while the app was down. Anyone had the duplicate refunded yet?",
    "{b} support queue is 40+ minutes, gave up",
    "Not just you, {b} is broken for everyone in my office",
    "This is the second {b} outage this month and they still haven't said anything",
    "My {b} delivery got pushed to Saturday and the app won't load to cancel",
]
REVIEW_NEUTRAL_KO = [
    "{b} 앱 그럭저럭 쓸 만해요", "괜찮은데 가끔 느려요 {b} 앱", "{b} 앱 무난합니다", "{b} 기능은 많은데 좀 복잡해요",
    "{b} 앱 쓸 만한데 알림이 많아요", "{b} 평범해요 딱 별 세 개",
]  # fmt: skip
REVIEW_NEUTRAL_EN = [
    "{b} app does the job", "{b} is fine, a bit slow at times", "Works ok. {b} could use a cleaner checkout",
    "{b} app is decent, too many notifications", "Average {b} experience, nothing special",
]  # fmt: skip
EXTRA_EN = {
    "negative": ["Not ordering from them again.", "Anyone else?", "Really disappointed.", "Ugh.", "Done with this."],
    "neutral": ["Just saying.", "", "Otherwise fine.", "FYI."],
    "question": ["Anyone know?", "Thanks in advance.", "Asking for a friend.", "Just curious."],
    "positive": ["Highly recommend.", "Pleasantly surprised.", "Will order again.", "No complaints here.", ""],
}
EXTRA_KO = {
    "negative": ["다시는 안 시킴", "저만 이런가요", "진짜 실망", "하.. 답답", "탈퇴각"],
    "neutral": ["", "참고하세요", "그냥 그렇다고요", "무난무난"],
    "question": ["아시는 분?", "궁금해서요", "알려주시면 감사", "혹시 아시는 분"],
    "positive": ["강추", "재구매 의사 있음", "만족합니다", "", "추천해요"],
}
COMPARE_KO = [
    "{b} 배송이 {c}보다 훨씬 빠름",
    "{c}에서 {b:로} 갈아탔는데 만족",
    "{b:이랑} {c} 멤버십 뭐가 나아요?",
    "{p} {b:이} {c}보다 {won} 쌈",
    "{c} 쓰다가 {b} 써보니 앱이 훨씬 편하네",
    "{b} 요즘 별로라 {c:로} 넘어감",
    "{b} vs {c} 새벽배송 비교해봄 결론은 비슷",
]
COMPARE_EN = [
    "{b} vs {c} for groceries? {b} has been faster for me",
    "Switched from {c} to {b}, no regrets so far",
    "{c} delivered in 30 minutes while my {b} order is still 'preparing'",
    "Is {b} Plus or {c} membership better value?",
    "Price check: {p} {usd} cheaper on {b} than on {c}",
    "{c}'s app is cleaner but {b} still wins on delivery",
]
ANVIL_EN = [
    "Wile E. Coyote ordering yet another ACME anvil like it'll work this time 😂",
    "My son's Halloween costume: Road Runner, carrying a cardboard Acme anvil",
    "That acme anvil gag never gets old",
]
OPENERS_KO = {
    "negative": ["", "", "", "아 ", "하 ", "진짜 ", "솔직히 ", "근데 ", "헐 ", "와 "],
    "neutral": ["", "", "", "", "혹시 ", "근데 ", "아 "],
    "positive": ["", "", "", "와 ", "진짜 ", "ㅋㅋㅋ ", "솔직히 ", "오 "],
}
OPENERS_EN = {
    "negative": ["", "", "", "", "Honestly ", "Ugh. ", "PSA: ", "Wow. ", "Seriously, "],
    "neutral": ["", "", "", "", "Quick question: ", "Hey, ", "Ok so "],
    "positive": ["", "", "", "", "Honestly ", "Ngl ", "Ok so ", "lol "],
}
QUESTION_OPENERS = ("Quick question: ", "Hey, ", "혹시 ")
TAILS_KO = {
    "negative": ["", "", " ㅠㅠ", ";;", " 하..", " 😡", " 진심 짜증", "..", " ㅡㅡ", " 😭"],
    "neutral": ["", "", "", " ㅎㅎ", " 🤔", ".."],
    "positive": ["", "", " ㅋㅋ", " ㅋㅋㅋㅋ", " 👍", " 😍", " 최고", "!!", " ㅎㅎ", " 강추"],
}
TAILS_EN = {
    "negative": ["", "", "", " 🙃", " smh", ".", " #fail", " 😤", "!!", "..."],
    "neutral": ["", "", "", " 🤔", "."],
    "positive": ["", "", "", " 👏", "!", " 10/10", " 🙌", " ❤️", " lol"],
}

# --------------------------------------------------------------------------------------------------------------
# Survey answers (Acme's own post-purchase and post-contact surveys)
# --------------------------------------------------------------------------------------------------------------

SURVEY_QUESTIONS = {
    ("nps", "ko"): "애크미를 친구나 지인에게 추천할 가능성은 얼마나 되나요? (0-10)",
    ("nps", "en"): "How likely are you to recommend Acme to a friend or colleague? (0-10)",
    ("csat", "ko"): "이번 상담/주문 경험에 얼마나 만족하셨나요? (1-5)",
    ("csat", "en"): "How satisfied were you with this order or support contact? (1-5)",
    ("ces", "ko"): "애크미 덕분에 문제를 쉽게 해결할 수 있었다 (1 전혀 아니다 - 7 매우 그렇다)",
    ("ces", "en"): "Acme made it easy to handle my issue (1 strongly disagree - 7 strongly agree)",
}
SURVEY_KO = {
    "negative": [
        "배송이 너무 늦어요", "{g} 불량이었는데 교환이 너무 오래 걸렸어요", "고객센터 연결이 안 돼요",
        "앱 오류 때문에 주문을 두 번 했어요", "반품 회수가 {n}일이나 걸림", "가격이 많이 올랐네요",
        "배송 예정일이 계속 바뀌어서 불편했어요", "상담원마다 말이 달라요", "포장이 다 터져서 왔습니다",
        "앱이 자꾸 로그아웃돼요", "환불 처리가 느립니다",
    ],
    "neutral": [
        "보통이에요", "배송은 괜찮은데 가격이 좀 아쉬워요", "무난했어요", "특별히 불편한 건 없었어요",
        "앱이 조금 더 빨랐으면", "{p} 품질은 그럭저럭", "상담은 친절했는데 해결은 안 됨", "그냥 그래요",
    ],
    "positive": [
        "배송 빨라서 좋아요", "상담원분이 친절했어요", "{p} 상태 아주 좋아요", "반품이 정말 간편했어요",
        "새벽배송 최고", "늘 만족합니다", "앱 쓰기 편해요", "가격도 괜찮고 배송도 빨라요", "재구매 의사 있어요",
    ],
}  # fmt: skip
SURVEY_EN = {
    "negative": [
        "Delivery took way too long", "My {g} arrived broken and the exchange dragged on", "Couldn't reach support",
        "The app glitched and I ordered twice", "Return pickup took {n} days", "Prices keep going up",
        "Delivery date kept changing", "Every agent told me something different", "The app keeps logging me out",
    ],
    "neutral": [
        "It was ok", "Delivery fine, prices a bit high", "Nothing special", "App could be faster",
        "Agent was nice but didn't solve it", "Average experience",
    ],
    "positive": [
        "Fast delivery, thanks", "Very friendly agent", "My {p} arrived in perfect condition", "Returns were painless",
        "Dawn delivery is the best", "Always reliable", "Easy app, good prices",
    ],
}  # fmt: skip
SURVEY_TOUCHPOINTS = {"nps": ["order"], "csat": ["support", "delivery", "returns"], "ces": ["returns", "support"]}

# --------------------------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------------------------

_PARTICLES = {"은": ("은", "는"), "는": ("은", "는"), "이": ("이", "가"), "가": ("이", "가"), "을": ("을", "를"),
              "를": ("을", "를"), "과": ("과", "와"), "와": ("과", "와"), "이랑": ("이랑", "랑"), "랑": ("이랑", "랑"),
              "으로": ("으로", "로"), "로": ("으로", "로")}  # fmt: skip
_SLOT = re.compile(r"\{(\w+)(?::(\w+))?\}")
_READING = {"Acme": "애크미", "#애크미": "애크미", "Globex": "글로벡스", "Initech": "이니텍"}


def particle(word: str, josa: str) -> str:
    """The Korean particle form that fits after `word` (은/는, 이/가, 을/를, 으로/로 …)."""
    with_final, without_final = _PARTICLES[josa]
    last = _READING.get(word, word)[-1]
    if not "가" <= last <= "힣":
        return without_final  # Latin names here are read ending in a vowel (애크미, 글로벡스)
    final = (ord(last) - 0xAC00) % 28
    if josa in ("으로", "로") and final == 8:  # ㄹ takes 로
        return without_final
    return with_final if final else without_final


def fill(template: str, slots: dict[str, str]) -> str:
    """Replace `{slot}` and `{slot:particle}` in a template."""

    def replace(match: re.Match[str]) -> str:
        value = slots[match.group(1)]
        return value + particle(value, match.group(2)) if match.group(2) else value

    return _SLOT.sub(replace, template)


@dataclass
class Author:
    """One account: the same handle keeps its id and reach across its posts."""

    handle: str
    author_id: str | None
    followers: int | None
    activity: float = 1.0  # how often this account comes back: most post once, a few post a lot


@dataclass
class Event:
    """A mention to be written: when, about whom, where, in which language and mood."""

    at: datetime
    brand: str
    lang: str
    channel: str
    kind: str
    sentiment: str
    topic: str
    other: str | None = None  # a second brand, for comparisons
    special: str | None = None  # spike | anvil | notice | big
    row: dict[str, Any] = field(default_factory=dict)


class Generator:
    """Builds the sample, all randomness from one seeded Random."""

    def __init__(self, seed: int = SEED) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.authors: dict[tuple[str, str], list[Author]] = {}
        self.used_ids: dict[str, set[str]] = {}
        self.x_sequence = 0
        self.events: list[Event] = []

    # -- time ------------------------------------------------------------------------------------------------

    def hour_weights(self, lang: str) -> list[float]:
        """Weight of each hour of the window for one language (KST rhythm, English partly on US evenings)."""
        weights = []
        for index in range(DAYS * 24):
            at = START + timedelta(hours=index)
            kst = at.astimezone(KST)
            weight = HOUR_SHAPE[kst.hour] * WEEKDAY_SHAPE[kst.weekday()]
            if lang == "en":
                us = at.astimezone(timezone(timedelta(hours=-5)))
                weight = 0.65 * weight + 0.35 * HOUR_SHAPE[us.hour] * WEEKDAY_SHAPE[us.weekday()]
            weights.append(weight)
        return weights

    def time_in_hour(self, hour_start: datetime) -> datetime:
        """A random second inside the hour that starts at `hour_start`."""
        return hour_start + timedelta(seconds=self.rng.randrange(3600))

    # -- people ----------------------------------------------------------------------------------------------

    def author(self, channel: str, lang: str) -> Author:
        """Mostly new accounts, sometimes a repeat poster (a few people post a lot)."""
        pool = self.authors.setdefault((channel, lang), [])
        if pool and self.rng.random() < 0.3:
            return self.rng.choices(pool, weights=[a.activity for a in pool])[0]
        handle = self.unique(f"handle:{channel}", lambda: self.handle(channel, lang))
        activity = min(self.rng.paretovariate(1.6), 15.0)
        if channel == "x":
            author = Author(handle, str(self.rng.randrange(10**8, 10**18)), self.followers(), activity)
        elif channel == "reddit":
            author = Author(handle, "t2_" + self.base36(8), None, activity)
        else:
            author = Author(handle, None, None, activity)
        pool.append(author)
        return author

    def handle(self, channel: str, lang: str) -> str:
        """A plausible account name for the channel: romanised Korean names, keyboard-typed Hangul, nicknames."""
        rng = self.rng
        if channel == "appstore":
            nick = rng.choice(REVIEW_NICK_KO if lang == "ko" else REVIEW_NICK_EN)
            return nick + (str(rng.randrange(1, 999)) if rng.random() < 0.6 else "")
        if lang == "ko":
            given, surname = rng.choice(GIVEN), rng.choice(SURNAMES)
            pattern = rng.randrange(7)
            handle = [
                f"{given}_{rng.randrange(80, 100)}{rng.randrange(1, 13):02d}",
                f"{surname}.{given}",
                f"{given}{surname}{rng.randrange(1, 100)}",
                f"{given}_{rng.choice(KO_HANDLE_WORDS)}",
                f"_{given}__",
                f"{rng.choice(KO_KEYBOARD)}{rng.randrange(10, 1000)}",
                f"{surname}{given[0]}{rng.choice(KO_HANDLE_WORDS)}",
            ][pattern]
        else:
            first = rng.choice(EN_FIRST)
            handle = [
                f"{first}_{rng.choice(EN_WORDS)}",
                f"{first}{rng.randrange(1, 1000)}",
                f"{first}.{rng.choice(SURNAMES)}",
                f"real{first}{rng.randrange(10, 99)}",
            ][rng.randrange(4)]
        if channel == "reddit":
            return handle.replace(".", "_").strip("_").title().replace("_", "-")
        return handle.replace(".", "_")[:15]  # X handles: letters, digits and underscores, at most 15

    def followers(self) -> int:
        """Heavy-tailed reach: most accounts have a few hundred followers, a handful tens of thousands."""
        return max(0, int(self.rng.lognormvariate(5.4, 1.5)))

    # -- ids and urls ----------------------------------------------------------------------------------------

    def base36(self, length: int) -> str:
        """Random base-36 digits, as in Reddit ids."""
        return "".join(self.rng.choice("0123456789abcdefghijklmnopqrstuvwxyz") for _ in range(length))

    def unique(self, namespace: str, make: Any) -> str:
        """A value from `make()` not yet used in this namespace (ids per channel, handles per channel)."""
        used = self.used_ids.setdefault(namespace, set())
        while (value := make()) in used:
            pass
        used.add(value)
        return value

    def snowflake(self, at: datetime) -> str:
        """An X id that encodes its own timestamp, as real ones do (so ids sort by time)."""
        self.x_sequence = (self.x_sequence + 1) % 4096
        millis = int(at.timestamp() * 1000) + self.rng.randrange(1000)
        return str(((millis - 1288834974657) << 22) | (self.rng.randrange(32) << 17) | self.x_sequence)

    # -- text ------------------------------------------------------------------------------------------------

    def slots(self, brand: str, lang: str, other: str | None = None) -> dict[str, str]:
        """Values for one template: the brand as people write it, a product, a price, a time."""
        rng = self.rng
        korean = lang == "ko"
        won, fee = rng.choice(WON_AMOUNTS), rng.choice(MEMBERSHIP_FEES)
        surfaces = SURFACES[(brand, lang)]
        if korean:
            goods, food, wear = rng.choice(GOODS_KO), rng.choice(FOOD_KO), rng.choice(WEAR_KO)
            anything = rng.choice([goods, food, wear, rng.choice(OTHER_KO)])
        else:
            goods, food, wear = (_bare(rng.choice(group)) for group in (GOODS_EN, FOOD_EN, WEAR_EN))
            anything = rng.choice(GOODS_EN + FOOD_EN + WEAR_EN + OTHER_EN)
        slots = {
            "b": rng.choice(surfaces),
            "p": _bare(anything),
            "ap": anything,  # with its article, for "Ordered {ap}"
            "g": goods,
            "f": food,
            "w": wear,
            "svc": rng.choice(SERVICES[(brand, lang)]),
            "sup": SUPPORT_HANDLE[brand],
            "n": str(rng.choice([2, 2, 3, 3, 4, 5])),
            "won": f"{won:,}원" if korean else f"₩{won:,}",
            "fee": f"{fee:,}원" if korean else f"₩{fee:,}",
            "usd": f"${rng.choice([3, 5, 8, 10, 12, 15, 20, 25])}",
            "when": rng.choice(WHEN_KO if korean else WHEN_EN),
            "shop": rng.choice(SHOPS_KO if korean else SHOPS_EN),
        }
        if other:
            slots["c"] = rng.choice(SURFACES[(other, lang)][:-1])
        return slots

    def decorate(self, text: str, lang: str, sentiment: str) -> str:
        """Openers, tails and the odd missing space, so the same template rarely gives the same post twice."""
        rng = self.rng
        if lang == "ko":
            opener = rng.choice(OPENERS_KO[sentiment])
            if opener in QUESTION_OPENERS and "?" not in text:
                opener = ""
            text = opener + text + _tail(text, "", rng.choice(TAILS_KO[sentiment]))
            if rng.random() < 0.18:  # casual Korean drops spaces
                spaces = [i for i, ch in enumerate(text) if ch == " "]
                if spaces:
                    cut = rng.choice(spaces)
                    text = text[:cut] + text[cut + 1 :]
            if rng.random() < 0.12:
                text += " " + rng.choice(["ㅋ" * rng.randrange(2, 7), "ㅠ" * rng.randrange(2, 5), "ㄹㅇ", "ㅇㅇ"])
            return text
        opener = rng.choice(OPENERS_EN[sentiment])
        if opener in QUESTION_OPENERS and not text.endswith("?"):
            opener = ""
        if opener and not opener.rstrip().endswith((".", ":")) and text[1:2].islower():
            text = text[0].lower() + text[1:]  # "Honestly the app…", but "Ugh. The app…" and "Acme…" stay
        text = opener + text + _tail(text, opener, rng.choice(TAILS_EN[sentiment]))
        if rng.random() < 0.12 and text[:1].isupper() and text[1:2].islower():
            text = text[0].lower() + text[1:]  # people don't capitalise on their phones
        return text

    def text(self, event: Event) -> str:
        """A post, comment or review for one planned event."""
        rng = self.rng
        ko = event.lang == "ko"
        slots = self.slots(event.brand, event.lang, event.other)
        if event.special == "spike":
            bank = SPIKE_KO if ko else (SPIKE_REDDIT_EN if event.channel == "reddit" else SPIKE_EN)
        elif event.other:
            bank = COMPARE_KO if ko else COMPARE_EN
        elif event.channel == "appstore" and event.sentiment == "neutral" and rng.random() < 0.6:
            bank = REVIEW_NEUTRAL_KO if ko else REVIEW_NEUTRAL_EN
        else:
            bank = (KO if ko else EN)[(event.topic, event.sentiment)]
        body = self.decorate(fill(rng.choice(bank), slots), event.lang, event.sentiment)
        if event.channel in ("reddit", "appstore") and event.kind in ("post", "review") and rng.random() < 0.7:
            mood = "question" if body.rstrip().endswith("?") else event.sentiment
            extra = rng.choice((EXTRA_KO if ko else EXTRA_EN)[mood])
            if extra:
                ends_sentence = body.rstrip()[-1:] in ".?!…" or not body.rstrip()[-1:].isascii()
                body = f"{body} {extra}" if ko or ends_sentence else f"{body}. {extra}"
        if event.channel == "x" and rng.random() < 0.08:
            body += " " + rng.choice(["#쇼핑", "#배송", "#내돈내산"] if ko else ["#customerservice", "#shopping"])
        return body

    # -- the plan: when each mention happens -----------------------------------------------------------------

    def plan(self) -> list[Event]:
        rng = self.rng
        events: list[Event] = []
        weights = {lang: self.hour_weights(lang) for lang in ("ko", "en")}
        hours = [START + timedelta(hours=i) for i in range(DAYS * 24)]
        for brand, total in BRAND_VOLUME.items():
            for _ in range(total):
                channel = rng.choices(list(CHANNEL_MIX), weights=list(CHANNEL_MIX.values()))[0]
                lang = "ko" if rng.random() < KO_SHARE[channel] else "en"
                hour = rng.choices(hours, cum_weights=_cumulative(weights[lang]))[0]
                at = self.time_in_hour(hour)
                sentiment = rng.choices(("negative", "neutral", "positive"), weights=SENTIMENT_MIX[brand])[0]
                topic_weights = REVIEW_TOPIC_WEIGHTS if channel == "appstore" else TOPIC_WEIGHTS
                topic = rng.choices(TOPICS, weights=topic_weights)[0]
                if brand == "Acme" and sentiment == "negative" and at.date() in _AFTERMATH and rng.random() < 0.5:
                    topic = "delivery"  # the late parcels from the 19th keep coming up for two days
                events.append(Event(at, brand, lang, channel, self.kind(channel), sentiment, topic))
        # The 11.11 sale: more Acme talk that day, about prices and deliveries, mostly happy.
        sale_hours = [h for h in hours if h.astimezone(KST).date() == SALE_DAY.date()]
        for _ in range(45):
            lang = "ko" if rng.random() < 0.7 else "en"
            hour = rng.choices(sale_hours, weights=[weights[lang][hours.index(h)] for h in sale_hours])[0]
            sentiment = rng.choices(("negative", "neutral", "positive"), weights=(0.12, 0.38, 0.50))[0]
            channel = rng.choices(("x", "reddit"), weights=(0.85, 0.15))[0]
            topic = rng.choice(("price", "price", "delivery"))
            events.append(Event(self.time_in_hour(hour), "Acme", lang, channel, self.kind(channel), sentiment, topic))
        # Comparisons: one post naming two brands.
        pairs = [("Acme", "Globex"), ("Acme", "Initech"), ("Globex", "Acme"), ("Initech", "Acme"), ("Acme", "Globex")]
        for _ in range(36):
            brand, other = rng.choice(pairs)
            lang = "ko" if rng.random() < 0.55 else "en"
            channel = rng.choices(("x", "reddit"), weights=(0.6, 0.4))[0]
            hour = rng.choices(hours, cum_weights=_cumulative(weights[lang]))[0]
            sentiment = rng.choices(("negative", "neutral", "positive"), weights=(0.25, 0.45, 0.30))[0]
            kind = "post" if channel == "x" else rng.choice(("post", "comment"))
            events.append(Event(self.time_in_hour(hour), brand, lang, channel, kind, sentiment, "general", other))
        self.spread_bursts(events, hours, weights)
        for text_index in range(len(ANVIL_EN)):  # noise the brand's `exclude` filters out
            at = self.time_in_hour(rng.choice(hours))
            events.append(Event(at, "Acme", "en", "x", "post", "neutral", "general", special=f"anvil:{text_index}"))
        events.extend(self.spike_plan())
        events.sort(key=lambda e: e.at)
        return events

    def spread_bursts(self, events: list[Event], hours: list[datetime], weights: dict[str, list[float]]) -> None:
        """Move chance clusters of negative mentions (4+ in one hour) to other hours.

        Poisson noise alone puts 5 negative mentions into some hour of four weeks; a sensitive preset would
        rightly flag that, and the demo should show one clear episode, not a debate about noise.
        """
        index = {hour: i for i, hour in enumerate(hours)}
        counts = Counter((e.brand, e.at.replace(minute=0, second=0)) for e in events if e.sentiment == "negative")
        for event in sorted(events, key=lambda e: (e.at, e.brand)):
            key = (event.brand, event.at.replace(minute=0, second=0))
            if event.sentiment != "negative" or counts[key] <= BURST_CAP:
                continue
            while True:
                hour = self.rng.choices(hours, cum_weights=_cumulative(weights[event.lang]))[0]
                if counts[(event.brand, hour)] < BURST_CAP - 1 and not SPIKE_START <= hour < SPIKE_END:
                    break
            counts[key] -= 1
            counts[(event.brand, hour)] += 1
            event.at = self.time_in_hour(hours[index[hour]])

    def kind(self, channel: str) -> str:
        """What kind of item a mention on this channel is, in realistic proportions."""
        if channel == "x":
            return self.rng.choices(("post", "reply", "repost", "quote"), weights=(0.55, 0.25, 0.08, 0.12))[0]
        if channel == "reddit":
            return self.rng.choices(("post", "comment"), weights=(0.3, 0.7))[0]
        return "review"

    def spike_plan(self) -> list[Event]:
        """The outage: a ramp of complaints, two high-reach posts, a Reddit megathread, the brand's own notices."""
        rng = self.rng
        events: list[Event] = []
        shape = (0.5, 1.0, 1.5, 1.4, 1.0, 0.6)  # 10:00 … 15:00 UTC: it builds, peaks at 12-14, fades
        for _ in range(SPIKE_EXTRA):
            hour = rng.choices(range(6), weights=shape)[0]
            at = SPIKE_START + timedelta(hours=hour, seconds=rng.randrange(3600))
            channel = rng.choices(("x", "reddit", "appstore"), weights=(0.62, 0.26, 0.12))[0]
            lang = "ko" if rng.random() < (0.6 if channel != "reddit" else 0.15) else "en"
            kind = {"x": rng.choice(("post", "post", "reply")), "reddit": "comment", "appstore": "review"}[channel]
            events.append(Event(at, "Acme", lang, channel, kind, "negative", "app", special="spike"))
        base = SPIKE_START
        events += [
            Event(base + timedelta(minutes=38), "Acme", "en", "x", "post", "negative", "app", special="big:wire"),
            Event(base + timedelta(minutes=71), "Acme", "ko", "x", "post", "negative", "app", special="big:itdaily"),
            Event(
                base + timedelta(minutes=95), "Acme", "en", "reddit", "post", "negative", "app", special="big:thread"
            ),
            Event(base + timedelta(minutes=52), "Acme", "ko", "x", "post", "neutral", "app", special="notice:ko1"),
            Event(base + timedelta(minutes=56), "Acme", "en", "x", "post", "neutral", "app", special="notice:en1"),
            Event(base + timedelta(minutes=302), "Acme", "ko", "x", "post", "neutral", "app", special="notice:ko2"),
        ]
        # Reposts, quotes and replies hanging off the big posts (they carry the big posts' text and mood).
        for _ in range(24):
            at = base + timedelta(minutes=rng.randrange(45, 350))
            kind = rng.choices(("repost", "quote", "reply"), weights=(0.5, 0.25, 0.25))[0]
            lang = "ko" if rng.random() < 0.5 else "en"
            events.append(Event(at, "Acme", lang, "x", kind, "negative", "app", special="cascade"))
        for _ in range(8):
            at = base + timedelta(minutes=rng.randrange(100, 355))
            events.append(Event(at, "Acme", "en", "reddit", "comment", "negative", "app", special="spike"))
        return events

    # -- rows ------------------------------------------------------------------------------------------------

    def mentions(self) -> list[dict[str, Any]]:
        """Every mention as a JSON-ready dict, in time order."""
        rows: list[dict[str, Any]] = []
        recent: dict[tuple[str, str], list[Event]] = {}  # (channel, brand) → earlier posts that can be parents
        big: dict[str, Event] = {}
        self.events = self.plan()
        for event in self.events:
            row = self.row(event, recent, big)
            event.row = row
            if event.kind in ("post", "quote") and not (event.special or "").startswith("anvil"):
                recent.setdefault((event.channel, event.brand), []).append(event)
            if event.special and event.special.startswith("big"):
                big[event.special] = event
            rows.append(row)
        # Drawn from their own random stream after everything else, so adding them changed no other row.
        replies = self.owned_replies(random.Random(self.seed + 17))
        return sorted(rows + replies, key=lambda row: row["created_at"])

    def owned_replies(self, rng: random.Random) -> list[dict[str, Any]]:
        """Replies from the brands' own support accounts (OWNED_REPLIES) to some negative customer posts."""
        replies: list[dict[str, Any]] = []
        thread = next((e for e in self.events if e.special == "big:thread"), None)
        for event in self.events:
            special = event.special or ""
            plan = OWNED_REPLIES.get(event.brand)
            if plan is None or event.sentiment != "negative" or event.channel != "x" or event.kind == "repost":
                continue
            if special.startswith(("big", "notice", "anvil")) or event.row["author_handle"] == plan.account.handle:
                continue
            outage = SPIKE_START <= event.at < SPIKE_END
            if rng.random() >= (plan.outage_rate if outage else plan.rate):
                continue
            low, high = plan.outage_delay if outage else plan.delay
            at = event.at + timedelta(minutes=rng.uniform(low, high))
            if at > END:
                continue
            bank = plan.ko if event.lang == "ko" else plan.en
            text = rng.choice(bank).format(h=event.row["author_handle"])
            replies.append(self.owned_row("x", plan.account, at, event.lang, text, event.row["id"], rng))
        if thread is not None:
            # Acme's official Reddit account answers the outage megathread, 40 minutes in.
            at = thread.at + timedelta(minutes=40)
            replies.append(self.owned_row("reddit", _ACME_REDDIT, at, "en", ACME_THREAD_REPLY, thread.row["id"], rng))
        return replies

    def owned_row(
        self, channel: str, author: Author, at: datetime, lang: str, text: str, parent_id: str, rng: random.Random
    ) -> dict[str, Any]:
        """One reply of an owned account, ids unique among the rows already written."""
        if channel == "x":
            ident = self.unique("x", lambda: str(((int(at.timestamp() * 1000) - 1288834974657) << 22)
                                                 | rng.randrange(1 << 22)))
            url = f"https://x.com/{author.handle}/status/{ident}"
            metrics = {"likes": rng.randrange(0, 12), "reposts": 0, "replies": rng.randrange(0, 3), "quotes": 0}
        else:
            ident = self.unique("reddit", lambda: "t1_m" + "".join(rng.choice("0123456789abcdefghijklmnopqrstuvwxyz")
                                                                   for _ in range(6)))
            sub = next(e.row["url"] for e in self.events if e.row.get("id") == parent_id).split("/")[4]
            url = f"https://www.reddit.com/r/{sub}/comments/{parent_id[3:]}/comment/{ident[3:]}/"
            metrics = {"score": rng.randrange(40, 400)}
        row: dict[str, Any] = {"channel": channel, "id": ident, "text": text, "created_at": _iso(at), "url": url}
        if author.author_id:
            row["author_id"] = author.author_id
        row["author_handle"] = author.handle
        if author.followers is not None:
            row["author_followers"] = author.followers
        row.update({"lang": lang, "kind": "reply" if channel == "x" else "comment", "parent_id": parent_id})
        row["metrics"] = metrics
        return row

    def row(self, event: Event, recent: dict[tuple[str, str], list[Event]], big: dict[str, Event]) -> dict[str, Any]:
        """The JSON row for one event: text, ids, urls, author, parent and metrics."""
        rng = self.rng
        special = event.special or ""
        text = ""
        parent: Event | None = None
        if special in BIG_POSTS:
            author, text = BIG_POSTS[special]
        else:
            author = self.author(event.channel, event.lang)
        if special.startswith("anvil"):
            text = ANVIL_EN[int(special.split(":")[1])]
        elif special == "cascade" and big:
            # Reposts, quotes and replies of the two big X posts.
            parent = rng.choice([e for key, e in big.items() if key != "big:thread"])
        elif special == "spike" and event.channel == "reddit" and "big:thread" in big:
            parent = big["big:thread"]
        elif event.kind in ("reply", "repost", "quote", "comment"):
            candidates = [e for e in recent.get((event.channel, event.brand), [])[-40:] if e.at < event.at]
            candidates = [e for e in candidates if event.at - e.at < timedelta(days=4)]
            if candidates:
                parent = rng.choice(candidates)
            elif event.channel == "reddit":
                event.kind = "post"
        if event.kind == "repost" and parent is None:
            event.kind = "post"
        if parent is not None and event.kind == "repost":
            source = parent.row
            original = source["text"]
            text = f"RT @{source['author_handle']}: {original}"
            if len(text) > 140:
                text = text[:139] + "…"  # X gives reposts as truncated RT text
            event.sentiment = parent.sentiment
        if parent is not None and special == "cascade" and event.kind != "repost":
            bank = SPIKE_KO if event.lang == "ko" else SPIKE_EN
            text = fill(rng.choice(bank), self.slots("Acme", event.lang))
        if not text:
            text = self.text(event)
        if event.kind == "quote" and parent is not None and rng.random() < 0.5:
            text += f" https://x.com/{parent.row['author_handle']}/status/{parent.row['id']}"
        row: dict[str, Any] = {"channel": event.channel, "id": "", "text": text, "created_at": _iso(event.at)}
        if event.channel == "x":
            row["id"] = self.unique("x", lambda: self.snowflake(event.at))
            row["url"] = f"https://x.com/{author.handle}/status/{row['id']}"
        elif event.channel == "reddit":
            if event.kind == "post":
                row["id"] = self.unique("reddit", lambda: "t3_1" + self.base36(6))
                sub = rng.choice(SUBREDDITS[event.lang])
                row["url"] = f"https://www.reddit.com/r/{sub}/comments/{row['id'][3:]}/{_slug(text)}"
            else:
                row["id"] = self.unique("reddit", lambda: "t1_m" + self.base36(6))
                assert parent is not None
                sub = parent.row["url"].split("/")[4]  # https://www.reddit.com/r/{sub}/comments/…
                row["url"] = f"https://www.reddit.com/r/{sub}/comments/{parent.row['id'][3:]}/comment/{row['id'][3:]}/"
        else:
            row["id"] = self.unique("appstore", lambda: str(rng.randrange(10**10, 10**11)))
            country = "kr" if event.lang == "ko" else rng.choice(["kr", "us", "gb"])
            row["url"] = f"https://apps.apple.com/{country}/app/{event.brand.lower()}/{APP_IDS[event.brand]}"
        if author.author_id:
            row["author_id"] = author.author_id
        row["author_handle"] = author.handle
        if author.followers is not None:
            row["author_followers"] = author.followers
        row["lang"] = event.lang
        row["kind"] = event.kind
        if parent is not None and event.kind in ("reply", "quote", "repost", "comment"):
            row["parent_id"] = parent.row["id"]
        row["metrics"] = self.metrics(event, author, special)
        if event.channel == "appstore":
            row["rating"] = self.stars(event.sentiment)
            row["rating_scale"] = "stars"
        event.row = row
        return row

    def stars(self, sentiment: str) -> int:
        """An App Store rating that fits the mood of the review."""
        weights = {
            "negative": (0.62, 0.30, 0.08, 0, 0),
            "neutral": (0, 0.15, 0.6, 0.25, 0),
            "positive": (0, 0, 0.05, 0.35, 0.6),
        }
        return self.rng.choices((1, 2, 3, 4, 5), weights=weights[sentiment])[0]

    def metrics(self, event: Event, author: Author, special: str) -> dict[str, int]:
        """Engagement numbers in each platform's terms, growing with the author's reach."""
        rng = self.rng
        if event.channel == "x":
            reach = (author.followers or 10) ** 0.75
            likes = int(reach * rng.lognormvariate(-1.6, 1.0))
            if special.startswith("big"):
                likes = rng.randrange(2500, 4800)
            if event.kind == "repost":
                return {"likes": 0, "reposts": 0, "replies": 0, "quotes": 0}
            return {
                "likes": likes,
                "reposts": int(likes * rng.uniform(0.05, 0.45)),
                "replies": int(likes * rng.uniform(0.02, 0.2)),
                "quotes": int(likes * rng.uniform(0.0, 0.06)),
            }
        if event.channel == "reddit":
            score = int(rng.lognormvariate(1.6 if event.kind == "comment" else 2.6, 1.1))
            if special == "big:thread":
                return {"score": 2314, "num_comments": 412}
            if event.sentiment == "negative" and rng.random() < 0.1:
                score = -rng.randrange(1, 6)  # downvoted rants
            if event.kind == "post":
                return {"score": score, "num_comments": max(0, int(score * rng.uniform(0.1, 0.8)))}
            return {"score": score}
        return {"helpful": int(rng.lognormvariate(0.3, 1.2)) if rng.random() < 0.5 else 0}

    def survey(self) -> list[dict[str, Any]]:
        """About 300 answers to Acme's own NPS, CSAT and CES surveys, a little worse around the outage."""
        rng = self.rng
        rows: list[dict[str, Any]] = []
        weights = self.hour_weights("ko")
        hours = [START + timedelta(hours=i) for i in range(DAYS * 24)]
        scales = ["nps"] * 150 + ["csat"] * 100 + ["ces"] * 50
        rng.shuffle(scales)
        for scale in scales:
            at = self.time_in_hour(rng.choices(hours, cum_weights=_cumulative(weights))[0])
            bad_days = at.astimezone(KST).date() in _AFTERMATH or at.date() == SPIKE_START.date()
            lang = "ko" if rng.random() < 0.7 else "en"
            rating, sentiment = self.survey_score(scale, worse=bad_days)
            slots = self.slots("Acme", lang)
            bank = (SURVEY_KO if lang == "ko" else SURVEY_EN)[sentiment]
            text = fill(rng.choice(bank), slots)
            if lang == "ko" and rng.random() < 0.25:
                text += rng.choice([" ㅎㅎ", " ㅠㅠ" if sentiment == "negative" else " 👍", ".", "!", " 감사합니다"])
            if rng.random() < 0.2:
                text = ("애크미 " if lang == "ko" else "Acme: ") + text
            customer = rng.randrange(10000, 99999)
            rows.append(
                {
                    "channel": "survey",
                    "id": f"{scale}-{len(rows) + 1:05d}",
                    "created_at": at.astimezone(KST).isoformat(sep=" "),  # survey tools export local time
                    "kind": "survey",
                    "rating_scale": scale,
                    "rating": rating,
                    "lang": lang,
                    "text": text,
                    "author_id": f"cust-{customer}",
                    "brand": "Acme",
                    "touchpoint": rng.choice(SURVEY_TOUCHPOINTS[scale]),
                    "question": SURVEY_QUESTIONS[(scale, lang)],
                    "email": f"customer{customer}@example.com" if rng.random() < 0.7 else "",
                }
            )
        rows.sort(key=lambda r: r["created_at"])
        return rows

    def survey_score(self, scale: str, *, worse: bool) -> tuple[int, str]:
        """A score on the scale and the mood of the comment that goes with it; `worse` around the outage."""
        rng = self.rng
        if scale == "nps":
            weights = [2, 1, 1, 2, 2, 4, 6, 10, 14, 18, 16] if not worse else [8, 5, 5, 6, 6, 7, 7, 9, 9, 8, 6]
            score = rng.choices(range(11), weights=weights)[0]
            return score, "negative" if score <= 6 else "neutral" if score <= 8 else "positive"
        if scale == "csat":
            weights = [6, 8, 15, 35, 36] if not worse else [22, 18, 20, 22, 18]
            score = rng.choices(range(1, 6), weights=weights)[0]
            return score, "negative" if score <= 2 else "neutral" if score == 3 else "positive"
        weights = [4, 5, 8, 12, 20, 26, 25] if not worse else [14, 14, 14, 16, 16, 14, 12]
        score = rng.choices(range(1, 8), weights=weights)[0]
        return score, "negative" if score <= 3 else "neutral" if score == 4 else "positive"


_AFTERMATH = {datetime(2026, 11, 20).date(), datetime(2026, 11, 21).date()}
_WIRE = Author("koreatechwire", "1203459876543210001", 312_480)
_ITDAILY = Author("it_daily_kr", "917263540018273645", 186_220)
_REDDITOR = Author("Seoul-Expat-Dan", "t2_4kq9xw1z", None)
_ACMEHELP = Author("acmehelp", "1102938475610293847", 48_915)
_ACME_REDDIT = Author("Acme_Official", "t2_acme0ff1", None)
_GLOBEXCARE = Author("globexcare", "1388410275520339968", 21_370)


@dataclass(frozen=True)
class OwnedPlan:
    """How a brand's support account answers negative X posts: how often and how fast (minutes), in the usual
    weeks and during the outage, and what it says (`{h}` is the customer's handle)."""

    account: Author
    rate: float
    delay: tuple[float, float]
    outage_rate: float
    outage_delay: tuple[float, float]
    ko: tuple[str, ...]
    en: tuple[str, ...]


# The brands' own accounts, as examples/brandpulse.toml lists them under `owned`. Acme answers few complaints
# slowly (and a handful during the outage); Globex, the rival, answers more and faster: the report compares them.
OWNED_REPLIES = {
    "Acme": OwnedPlan(
        _ACMEHELP, 0.12, (25, 360), 0.07, (6, 50),
        ko=(
            "@{h} 안녕하세요, 애크미 고객센터입니다. 불편을 드려 정말 죄송합니다. DM으로 주문번호를 보내주시면 바로 "
            "확인해 드리겠습니다.",
            "@{h} 이용에 불편을 드려 죄송합니다. 주문번호를 DM으로 알려주시면 담당자가 따로 챙기겠습니다.",
            "@{h} 기다리게 해드려 죄송합니다 🙏 확인 후 DM으로 안내드렸어요.",
        ),
        en=(
            "@{h} Sorry about this! Please DM us your order number and we'll look into it right away.",
            "@{h} We're sorry for the trouble. Send us a DM with your order details and we'll follow up today.",
            "@{h} Thanks for flagging this, and sorry for the wait. We've sent you a DM to sort it out.",
        ),
    ),
    "Globex": OwnedPlan(
        _GLOBEXCARE, 0.35, (4, 55), 0.35, (4, 55),
        ko=(
            "@{h} 글로벡스 고객지원팀입니다. 불편을 드려 죄송합니다. DM으로 주문 정보를 보내주시면 바로 도와드릴게요.",
            "@{h} 죄송합니다! 바로 확인해서 DM 드리겠습니다.",
        ),
        en=(
            "@{h} Hi, Globex Care here. Sorry for the hassle! DM us your order number and we'll fix it.",
            "@{h} Sorry to hear that. We've sent you a DM so we can sort this out quickly.",
        ),
    ),
}
ACME_THREAD_REPLY = (
    "Hi all, Acme here. Logins and payments failed for most users from about 19:00 KST. Payments that went through "
    "are safe, double charges will be refunded automatically within 3 days, and late orders get a 5,000 won coupon. "
    "Updates on @acmehelp."
)
BIG_POSTS: dict[str, tuple[Author, str]] = {
    "big:wire": (
        _WIRE,
        "Acme's app has been down across Korea for over half an hour: users report forced logouts, failed payments "
        "and orders stuck at 'preparing'. Deliveries are being pushed back. Acme hasn't commented yet.",
    ),
    "big:itdaily": (
        _ITDAILY,
        "[속보] 애크미 앱 접속 장애 1시간째… 로그인 오류·결제 실패 제보 잇따라. 일부 주문은 배송 지연 안내 문자 발송 "
        "#애크미 #먹통",
    ),
    "big:thread": (
        _REDDITOR,
        "Acme outage megathread (Nov 19): app down, double charges, deliveries delayed\n\nApp logs everyone out, "
        "payments hang, support line is 40+ minutes. Post your order status here so people can compare. "
        "Edit: Acme says 'some users' are affected. Some users = everyone I know.",
    ),
    "notice:ko1": (
        _ACMEHELP,
        "[애크미 고객센터] 현재 애크미 앱 로그인 및 결제 오류가 발생하고 있습니다. 빠르게 복구 중이며 불편을 드려 "
        "죄송합니다. 이미 결제된 주문은 안전하게 보관됩니다.",
    ),
    "notice:en1": (
        _ACMEHELP,
        "We're aware that some customers can't log in to the Acme app or complete payment. Our team is on it; "
        "orders already paid are safe. We'll update here.",
    ),
    "notice:ko2": (
        _ACMEHELP,
        "[애크미 고객센터] 앱 로그인·결제 오류는 대부분 복구되었습니다. 오늘 도착 예정이던 일부 주문은 1~2일 지연될 "
        "수 있으며, 중복 결제 건은 자동으로 환불됩니다.",
    ),
}


def _tail(text: str, opener: str, tail: str) -> str:
    """A tail that neither doubles the ending punctuation ("?.") nor repeats the opener ("lol … lol")."""
    if tail.strip() and tail.strip() in opener:
        return ""
    if tail[:1] in ".?!" and text.rstrip()[-1:] in ".?!":
        return ""
    return tail


def _bare(phrase: str) -> str:
    """ "an air fryer" → "air fryer" (templates that say "my {p}" or "the {p}")."""
    return phrase.removeprefix("an ").removeprefix("a ")


def _cumulative(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out = []
    for weight in weights:
        total += weight
        out.append(total)
    return out


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())[:8]
    return ("_".join(words) + "/") if words else ""


# --------------------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------------------

SURVEY_COLUMNS = ["channel", "id", "created_at", "kind", "rating_scale", "rating", "lang", "text", "author_id",
                  "brand", "touchpoint", "question", "email"]  # fmt: skip


def render(seed: int = SEED) -> tuple[str, str, Generator]:
    """The two files' contents, (sample_mentions.jsonl, survey_feedback.csv), and the generator that made them."""
    generator = Generator(seed)
    mentions = generator.mentions()
    jsonl = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in mentions)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SURVEY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(generator.survey())
    return jsonl, buffer.getvalue(), generator


def stats(generator: Generator, jsonl: str, survey_csv: str) -> str:
    """A summary of what was written, including how far the Acme spike stands above its usual level."""
    rows = [json.loads(line) for line in jsonl.splitlines()]
    events = generator.events
    out = [f"mentions: {len(rows)}  survey answers: {survey_csv.count(chr(10)) - 1}  "
           f"size: {(len(jsonl.encode()) + len(survey_csv.encode())) / 1e6:.2f} MB"]  # fmt: skip
    for name, key in (("channel", "channel"), ("lang", "lang"), ("kind", "kind")):
        out.append(f"by {name}: " + ", ".join(f"{k}={v}" for k, v in Counter(r[key] for r in rows).most_common()))
    for brand in BRAND_VOLUME:
        mood = Counter(e.sentiment for e in events if e.brand == brand and not (e.special or "").startswith("anvil"))
        total = sum(mood.values())
        out.append(f"{brand}: {total} mentions, " + ", ".join(f"{k} {mood[k] / total:.0%}" for k in sorted(mood)))
    for brand, plan in OWNED_REPLIES.items():
        own = [r for r in rows if r["author_handle"] == plan.account.handle and r.get("parent_id")]
        during = sum(_iso(SPIKE_START) <= r["created_at"] < _iso(SPIKE_END) for r in own)
        out.append(f"{brand} replies from @{plan.account.handle}: {len(own)} ({during} during the outage)")
    texts = Counter(r["text"] for r in rows)
    out.append(f"distinct texts: {len(texts)} of {len(rows)}")
    # Negative Acme mentions per hour: the spike window against the same hours on the other 27 days.
    hourly = Counter(
        e.at.replace(minute=0, second=0) for e in events if e.brand == "Acme" and e.sentiment == "negative"
    )
    window = [SPIKE_START + timedelta(hours=h) for h in range(6)]
    in_spike = [hourly[h] for h in window]
    same_hours = [hourly[h - timedelta(days=d)] for h in window for d in range(-3, 25) if d != 0]
    usual = sum(same_hours) / len(same_hours)
    flat = sum(v for k, v in hourly.items() if not SPIKE_START <= k < SPIKE_END) / (DAYS * 24 - 6)
    out.append(
        f"Acme negative per hour, 2026-11-19 10:00-16:00 UTC: {in_spike} (mean {sum(in_spike) / 6:.1f}); "
        f"same hours on other days {usual:.2f}/h -> {sum(in_spike) / 6 / usual:.1f}x; "
        f"all other hours {flat:.2f}/h -> {sum(in_spike) / 6 / flat:.1f}x"
    )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> None:
    """Write the sample files (into examples/ unless --out says otherwise)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into (default: examples/)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--stats", action="store_true", help="print a summary of what was written")
    args = parser.parse_args(argv)
    jsonl, survey_csv, generator = render(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sample_mentions.jsonl").write_text(jsonl, encoding="utf-8", newline="\n")
    (args.out / "survey_feedback.csv").write_text(survey_csv, encoding="utf-8", newline="\n")
    print(f"wrote {args.out / 'sample_mentions.jsonl'} and {args.out / 'survey_feedback.csv'}")
    if args.stats:
        print(stats(generator, jsonl, survey_csv))


if __name__ == "__main__":
    main()
