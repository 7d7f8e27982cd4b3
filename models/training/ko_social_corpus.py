"""Deterministic generator of Korean social-media posts labelled negative, neutral or positive, for training.

The bundled model's Korean data is reviews, which are polar by nature, so it learned "Hangul means polar".
This corpus teaches Korean neutral (questions, announcements, shares) next to complaints, sarcasm and praise
written in the same styles: every class uses questions, hearsay endings (~래요/~대요), news-like words, ㅋㅋ,
emoji, hashtags and links, so only the content tells the label. Posts are composed from sentence frames per
kind × slot lists (made-up brands in fifteen sectors, their products, times, places, prices, order numbers)
× register transforms (존댓말/반말/음슴체/~여, 붙여쓰기, typos and common 맞춤법 errors, Konglish). Everything is
written from scratch here; nothing is read from disk or the network.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LABELS = ("negative", "neutral", "positive")
KINDS: dict[str, tuple[str, ...]] = {
    "negative": ("complaint", "complaint_question", "sarcasm", "mixed_negative"),
    "neutral": ("question", "announcement", "share"),
    "positive": ("praise", "thanks", "mixed_positive"),
}
KIND_WEIGHTS: dict[str, tuple[float, ...]] = {
    "negative": (0.36, 0.26, 0.18, 0.20),
    "neutral": (0.36, 0.32, 0.32),
    "positive": (0.50, 0.28, 0.22),
}


@dataclass(frozen=True)
class SocialPost:
    """One generated post: its text, its label and the kind of frame it came from."""

    text: str
    label: str
    kind: str


@dataclass(frozen=True)
class Sector:
    """A business sector: its brands ("name/handle"), whether it has an app and branches, and its slot lists."""

    name: str
    brands: tuple[str, ...]
    app: bool
    branches: bool
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _sector(name: str, brands: str, *, app: bool = True, branches: bool = False, **slots: str) -> Sector:
    """Build a sector from "|"-separated lists."""
    return Sector(name, tuple(brands.split("|")), app, branches, {k: tuple(v.split("|")) for k, v in slots.items()})


# Every sector has fail (stem that takes 네/네요/는데), win (stem that takes 네/네요), goodbit and badbit (concessive
# clauses ending in -는데/-은데 and -긴 한데/했는데); the item lists decide which frames a sector can fill.
SECTORS: tuple[Sector, ...] = (
    _sector(
        "commerce", "한빛마켓/hanbitmarket|모아몰/moamall|버블샵/bubbleshop|Zipcart/zipcart|오늘장터/oneuljangter"
        "|마켓누리/marketnuri|스윗박스/sweetbox|쇼핑나루/shoppingnaru|데일리픽/dailypick",
        goods="에어프라이어|무선청소기|캠핑의자|전기포트|수납박스|생수 2L 묶음|가습기|텀블러|침구 세트|휴지 30롤"
        "|블루투스 스피커|전기장판",
        fail="주문 취소됐|배송 밀렸|품절이라고 주문이 취소됐|환불 보류됐|엉뚱한 물건이 왔|박스가 찢어져서 왔",
        win="주문 다음 날 새벽에 왔|포장 꼼꼼하게 왔|반품 하루 만에 처리됐|최저가로 잘 샀",
        goodbit="가격은 싼데|배송은 빨랐는데|포장은 멀쩡했는데|상품 종류는 많은데",
        badbit="배송이 하루 늦긴 했는데|박스가 좀 찌그러져 오긴 했는데|앱이 좀 느리긴 한데",
    ),
    _sector(
        "food", "배달곰/baedalgom|한끼톡/hankkitalk|푸드런/foodrun|냠냠고/nyamnyamgo|밥차/babcha|오늘뭐먹/todaymeal",
        food="치킨|떡볶이|마라탕|족발|피자|짜장면|초밥|버거 세트|닭강정|김치찌개|쌀국수|보쌈",
        fail="배달 한 시간 넘게 걸리|음식 다 식어서 왔|주문 누락됐|배달 완료 뜨고 음식은 안 왔|국물 다 새서 왔"
        "|쿠폰 적용 안 되",
        win="배달 20분 만에 왔|음식 따끈따끈하게 왔|양 진짜 푸짐하|리뷰 이벤트 서비스까지 챙겨주셨",
        goodbit="맛은 괜찮은데|양은 많은데|배달은 빨랐는데",
        badbit="배달이 10분쯤 늦긴 했는데|소스가 하나 빠지긴 했는데|배달팁이 좀 비싸긴 한데",
    ),
    _sector(
        "telecom", "하늘텔레콤/haneultelecom|KN모바일/knmobile|누리텔레콤/nuritelecom|바로폰/barophone"
        "|Skyline Mobile/skylinemobile|오렌지텔/orangetel", branches=True,
        plan="5G 요금제|데이터 무제한 요금제|알뜰 요금제|인터넷 결합상품|가족 결합 할인|청소년 요금제",
        fail="인터넷 끊겼|데이터 안 터지|요금이 이중으로 청구됐|해지 신청을 안 받아주|와이파이 나갔",
        win="속도 잘 나오|요금 확 줄었|개통 바로 됐",
        goodbit="요금은 싼 편인데|속도는 빠른데|개통은 빨랐는데",
        badbit="가입 절차가 좀 복잡하긴 했는데|대리점 대기가 좀 길긴 했는데|약정이 좀 길긴 한데",
    ),
    _sector(
        "finance", "한결은행/hangyeolbank|모아페이/moapay|씨앗뱅크/ssiatbank|PayLink/paylink|토닥페이/todakpay"
        "|새봄저축은행/saebomsb",
        fin="체크카드|적금|간편송금|해외송금|비상금 대출|파킹통장|환전 서비스",
        fail="이체 오류 뜨|로그인 안 되|인증 계속 실패하|결제가 두 번 됐|앱 튕기",
        win="송금 바로 됐|환전 수수료 거의 안 나왔|카드 발급 하루 만에 됐",
        goodbit="금리는 괜찮은데|앱 디자인은 깔끔한데|수수료는 싼데",
        badbit="인증 절차가 좀 귀찮긴 한데|앱이 가끔 느리긴 한데|상담 연결이 좀 걸리긴 했는데",
    ),
    _sector(
        "cosmetics", "루미에르랩/lumierelab|달빛코스메틱/dalbitcos|Bloomday/bloomday|수연당/suyeondang"
        "|미소뷰티/misobeauty|온결/ongyeol", branches=True,
        goods="선크림|쿠션 팩트|수분크림|토너|립틴트|클렌징폼|앰플|마스크팩 10매",
        fail="트러블 올라왔|펌프가 안 눌리|용기 깨져서 왔|배송 밀렸|유통기한 임박한 게 왔",
        win="피부결 확 좋아졌|발림성 진짜 좋|트러블 하나도 안 올라오",
        goodbit="향은 좋은데|패키지는 예쁜데|발림성은 괜찮은데",
        badbit="용량이 좀 작긴 한데|향이 살짝 세긴 한데|배송이 하루 늦긴 했는데",
    ),
    _sector(
        "fashion", "어반핏/urbanfit|모노톤/monotone|Lumo/lumo|바람옷장/baramcloset|데일리룩스/dailylooks"
        "|솔트앤코/saltnco", branches=True,
        goods="패딩|청바지|니트|운동화|후드티|코트|슬랙스|에코백",
        fail="실밥 다 터져서 왔|사이즈 잘못 왔|한 번 빨고 줄어들었|교환 신청 반려됐",
        win="핏 진짜 예쁘|사이즈 딱 맞|원단 완전 좋",
        goodbit="디자인은 예쁜데|색감은 사진이랑 같은데|가격은 착한데",
        badbit="배송이 좀 걸리긴 했는데|보풀이 살짝 있긴 한데|색이 사진보다 조금 어둡긴 한데",
    ),
    _sector(
        "cafe", "온기커피/ongicoffee|Brewnest/brewnest|한모금/hanmogeum|커피결/coffeegyeol|하루카페/harucafe"
        "|빈스토리/beanstory", branches=True,
        menu="아이스 아메리카노|바닐라라떼|딸기 케이크|시즌 한정 음료|말차라떼|콜드브루|크루아상|흑당밀크티",
        fail="음료 잘못 나왔|주문 누락됐|앱 주문 안 들어갔|얼음만 가득 들어 있|30분째 음료가 안 나오",
        win="커피 맛 미쳤|라떼 진짜 고소하|매장 분위기 너무 좋",
        goodbit="커피 맛은 좋은데|인테리어는 예쁜데|자리는 넓은데",
        badbit="사람이 많아서 좀 기다리긴 했는데|가격이 좀 있긴 한데|자리가 좀 좁긴 한데",
    ),
    _sector(
        "airline", "한솔항공/hansolair|블루윙항공/bluewingair|SkyBridge Air/skybridgeair|제비항공/jebiair"
        "|누리에어/nuriair",
        route="제주행 항공편|오사카 노선|방콕 직항편|김포-부산 노선|다낭행 항공편|괌 노선|삿포로 노선",
        fail="비행기 지연됐|결항 문자 왔|수하물 안 나왔|좌석 지정 안 되|환불 수수료 말도 안 되게 나왔",
        win="승무원분들 너무 친절하|정시에 딱 도착했|좌석 간격 넓어서 편하",
        goodbit="승무원분들은 친절했는데|가격은 싸긴 했는데|기내식은 괜찮았는데",
        badbit="출발이 20분 늦긴 했는데|좌석이 좀 좁긴 했는데|수하물이 좀 늦게 나오긴 했는데",
    ),
    _sector(
        "game", "픽셀웍스/pixelworks|루나게임즈/lunagames|Nova Studio/novastudio|별빛온라인/byeolbitonline"
        "|던전러너/dungeonrunner", app=False,
        content="시즌 패스|신규 캐릭터|신규 맵|이벤트 던전|겨울 업데이트|랭크 시즌",
        fail="서버 터졌|점검 연장됐|렉 미친 듯이 걸리|튕겨서 보상 날아갔",
        win="이번 업데이트 완전 잘 뽑았|보상 진짜 혜자|밸런스 패치 잘했",
        goodbit="그래픽은 좋은데|스토리는 재밌는데|이벤트 보상은 괜찮은데",
        badbit="점검이 좀 길긴 했는데|과금 유도가 살짝 있긴 한데|초반이 좀 지루하긴 한데",
    ),
    _sector(
        "car", "대한모터스/daehanmotors|Voltix/voltix|누리자동차/nurimotors|한강모빌리티/hangangmobility", app=False,
        device="전기 SUV|신형 세단|하이브리드 모델|소형 전기차",
        fail="경고등 떴|서비스센터 예약 밀렸|출고 연기됐|업데이트하고 화면 먹통됐",
        win="승차감 진짜 좋|연비 잘 나오|출고 예정일보다 빨리 나왔",
        goodbit="디자인은 예쁜데|승차감은 좋은데|연비는 괜찮은데",
        badbit="출고가 좀 늦긴 했는데|옵션 가격이 좀 세긴 한데|내비가 살짝 불편하긴 한데",
    ),
    _sector(
        "electronics", "하이텍전자/hitechelec|Orbis/orbis|세진전자/sejinelec|Nexa/nexa|빛나리전자/bitnarielec",
        branches=True,
        goods="노트북|무선이어폰|공기청정기|로봇청소기|모니터|스마트워치|태블릿|전자레인지",
        device="노트북|무선이어폰|공기청정기|로봇청소기|모니터|스마트워치|태블릿|냉장고",
        fail="먹통됐|충전이 안 되|AS 밀렸|화면에 줄 생겼|전원이 안 켜지",
        win="배터리 오래 가|소음 거의 없|설치 기사님이 깔끔하게 해주셨",
        goodbit="성능은 좋은데|디자인은 깔끔한데|가격은 괜찮은데",
        badbit="설치 일정이 좀 밀리긴 했는데|무게가 좀 나가긴 하는데|설명서가 좀 불친절하긴 한데",
    ),
    _sector(
        "convenience", "하루편의점/haruconv|바로마트24/baromart24|GoodDay25/goodday25|온마트/onmart"
        "|동네스토어/dongnestore", branches=True,
        menu="도시락|삼각김밥|컵라면|1+1 음료|신상 과자|하이볼 캔|샌드위치|편의점 디저트",
        fail="유통기한 지난 걸 팔았|택배 접수 안 되|앱에 재고 있다더니 가보니 없|결제 오류 뜨",
        win="도시락 가성비 미쳤|신상 디저트 진짜 맛있|1+1 행사 개꿀이",
        goodbit="가격은 착한데|종류는 많은데|매장은 깨끗한데",
        badbit="계산 줄이 좀 길긴 했는데|양이 조금 적긴 한데|재고가 금방 빠지긴 하는데",
    ),
    _sector(
        "courier", "빠른택배/ppareun|하나로택배/hanarotb|신속로지스/sinsoklogis|Swift Express/swiftexpress"
        "|제일택배/jeiltb",
        fail="택배 분실됐|문 앞에 던지고 갔|배송 조회가 멈췄|박스가 다 젖어서 왔|배송완료 뜨고 물건은 안 왔",
        win="하루 만에 도착했|비 오는 날인데 안 젖게 두고 가셨|배송 알림 정확하",
        goodbit="기사님은 친절하신데|조회는 잘 되는데",
        badbit="하루 늦긴 했는데|도착 시간 안내가 좀 부정확하긴 했는데",
    ),
    _sector(
        "streaming", "플릭스온/flixon|Streamo/streamo|티비랑/tvrang|무비박스/moviebox|Wavely/wavely",
        plan="프리미엄 요금제|광고형 요금제|연간 구독|가족 요금제|베이직 요금제",
        fail="버퍼링 걸리|자막 싱크 안 맞|구독료 올랐|해지한 뒤에 또 결제됐|로그인 풀렸",
        win="화질 진짜 좋|오리지널 시리즈 다 재밌|추천 알고리즘 잘 맞",
        goodbit="콘텐츠는 많은데|화질은 좋은데|오리지널은 재밌는데",
        badbit="요금이 좀 오르긴 했는데|자막이 가끔 늦긴 한데|광고가 좀 있긴 한데",
    ),
    _sector(
        "gym", "바디핏짐/bodyfitgym|Gym24/gym24|파워하우스짐/powerhousegym|핏앤런/fitnrun|헬스온/healthon",
        app=False, branches=True,
        plan="PT 10회권|3개월 회원권|1년 회원권|필라테스 그룹 수업|요가 수업",
        fail="기구 고장났|샤워실 온수 안 나오|환불 규정 갑자기 바꿨|PT 예약 취소됐",
        win="트레이너님이 자세 하나하나 잡아주|시설 완전 깨끗하|기구 다 새거",
        goodbit="시설은 깨끗한데|위치는 좋은데|기구는 많은데",
        badbit="저녁엔 사람이 좀 많긴 한데|주차가 좀 불편하긴 한데|락커가 좀 좁긴 한데",
    ),
)
SECTOR_BY_NAME = {s.name: s for s in SECTORS}
_ALL = tuple(s.name for s in SECTORS)
_SHIPS = ("commerce", "cosmetics", "fashion", "electronics")
_ORDERS = (*_SHIPS, "food", "cafe", "convenience")
_SUBS = ("telecom", "streaming", "gym", "finance")
# Named sector groups a frame prefix may use ("ship>..." or "launch,commerce>...").
GROUPS: dict[str, tuple[str, ...]] = {
    "ship": _SHIPS,
    "order": _ORDERS,
    "sub": _SUBS,
    "refund": (*_ORDERS, *_SUBS, "airline"),
    "member": (*_ORDERS, "airline", "finance", "telecom", "streaming", "gym"),
    "launch": ("cosmetics", "fashion", "electronics", "car", "cafe", "convenience"),
    "app": tuple(s.name for s in SECTORS if s.app),
    "online": (*(s.name for s in SECTORS if s.app), "game"),
    "store": tuple(s.name for s in SECTORS if s.branches),
    "pay": tuple(n for n in _ALL if n not in ("car", "courier")),
    "parcel": (*_SHIPS, "courier"),
    "arrive": (*_SHIPS, "food", "courier"),
}

# A frame may start with "group,sector>" (GROUPS or sector names) to restrict where it applies; {slot:josa} attaches
# the right particle.
FRAMES: dict[str, tuple[str, ...]] = {
    "question": (
        "launch>{B} 사전예약 몇 시부터예요? ㅋㅋ 알람 맞춰놓으려고",
        "{B} 문의 드립니다 {goods} 입고 일정 알 수 있을까요? 감사합니다",
        "ship>{B} 배송지 변경 요청드립니다 주문번호 {O} 확인 부탁드려요 감사합니다",
        "{B} {P} 오늘 사람 많나요? ㅋㅋ 지금 가려는데",
        "refund>{B} 환불 규정이 어떻게 되나요? 수령 후 며칠까지 되는지 궁금해요", "{B} 고객센터 몇 시까지 운영하나요?",
        "{B} 고객센터 주말에도 전화 연결 되나요?", "online>{B} 회원가입할 때 본인인증 꼭 해야 하나요?",
        "member>{B} 멤버십 가입하면 어떤 혜택 있어요?", "member>{B} 포인트 유효기간 따로 있나요?",
        "혹시 {B} 채팅 상담은 어디서 하는지 아시는 분?", "member>{B} 탈퇴하면 남은 포인트는 어떻게 되나요?",
        "{B} 이번 이벤트 응모 기간 언제까지예요?", "member>{B:이랑} {B2} 중에 적립률 어디가 더 높아요?",
        "member>{B} 생일 쿠폰은 보통 언제 들어와요?", "{B} 고객센터 번호 {TEL} 맞나요?",
        "sub>{B} 해지하려면 어디로 연락해야 돼요?", "order>{B} 영수증 재발급은 어디서 하나요?",
        "order>{B} 쿠폰 적용 안 되는 상품도 있나요?", "order>{B} 현금영수증은 자동으로 발급되나요?",
        "member>{B} 학생 할인 같은 거 있나요?", "{APP} 최신 버전으로 업데이트하면 다시 로그인해야 하나요?",
        "{APP}에서 알림 끄는 법 아시는 분?", "{APP} 다크모드 지원하나요?", "{APP}에서 결제 수단 변경은 어디서 해요?",
        "{APP} 태블릿에서도 쓸 수 있나요?", "{APP} 아이디 찾기는 어느 메뉴에 있어요?",
        "ship>{B} 배송 보통 며칠 걸려요?", "{B}에서 {goods} 주문하면 {T} 도착할까요?",
        "{B} {goods} 교환하려면 박스 그대로 보내야 하나요?",
        "ship>{B} 반품 택배는 따로 불러야 하나요 아니면 회수하러 오나요?", "{B} {goods} 재입고 언제 되는지 아시는 분?",
        "ship>{B} 무료배송 기준 금액이 얼마예요?", "{B} {goods} 다른 색상도 나오나요?",
        "ship>주문번호 {O} 배송지 변경 아직 가능할까요?", "ship>{B} 제주도도 배송되나요? 추가 배송비 있나요?",
        "ship>{B} 주문 취소하면 환불은 며칠 걸려요?", "{B} {goods} 지금 주문하면 {HOLIDAY} 전에 받을 수 있을까요?",
        "ship>{B} 해외배송도 하나요?", "{B} {goods} 국내 정식 발매 제품인가요?",
        "{B} {goods} 받고 나서 며칠 안에 교환 신청해야 돼요?", "{B} {goods} 불량이면 교환은 어떻게 해요?",
        "food>{B} 배달팁 보통 얼마예요?", "{B}에서 {food} 시키면 보통 몇 분 걸려요?", "food>{B} 새벽에도 배달되나요?",
        "{B} {food} 포장 주문하면 할인되나요?", "food>{B} 쿠폰 두 장 같이 쓸 수 있어요?",
        "{B} {food} 단체 주문은 며칠 전에 해야 하나요?", "{B} {P} 몇 시에 문 열어요?", "{B} {P} 주차 가능한가요?",
        "{B} {P} 일요일에도 영업하나요?", "{B} {P} 예약 없이 가도 되나요?", "{B} {P} 이전했다던데 새 위치 아시는 분?",
        "{B} {P} {HOLIDAY}에도 문 여나요?", "{B} {menu} 아직 판매하나요?", "{B} {P}에 {menu} 재고 있을까요?",
        "{B} {menu} 가격 얼마예요?", "{B} {plan} 중간에 해지하면 위약금 있나요?",
        "{B} {plan:으로} 변경하려면 어떻게 해야 돼요?", "{B} {plan} 한 달에 정확히 얼마예요?",
        "{B} {plan} 가족이랑 같이 쓸 수 있어요?", "{B} {plan} 결제일 바꿀 수 있나요?",
        "{B} {fin} 신청하면 며칠 걸려요?", "{B} {fin} 한도가 얼마까지예요?", "{B} {fin} 외국인도 가입되나요?",
        "{B} {fin} 수수료 있나요?", "{B} {route} 수하물 몇 kg까지 무료예요?",
        "{B} {route} 온라인 체크인 언제부터 돼요?", "{B} {route} 날짜 변경하면 수수료 얼마나 나와요?",
        "{B} {route} 유아 동반이면 좌석 따로 지정해야 하나요?", "{B} {content} 언제 나와요?",
        "{B} {content} 무과금으로도 할 만한가요?", "game>{B} 점검 몇 시에 끝나요?",
        "game>{B} PC랑 모바일 계정 연동되나요?", "{B} {content} 보상 수령 기간 언제까지예요?",
        "{B} {device} 무상 AS 기간 몇 년이에요?", "{B} {device} 정기 점검은 어디서 받으면 돼요?",
        "{B} {device} 보증 연장 신청 가능한가요?", "electronics>{B} {device} 다른 회사 충전기로 충전해도 되나요?",
        "car>{B} {device} 시승 예약은 어떻게 해요?", "courier>{B} 택배 보통 몇 시쯤 와요?",
        "{CB} 반품 회수 신청은 어디서 해요?", "{CB} 편의점 접수도 되나요?",
        "송장번호 조회하면 {CB:으로} 뜨는데 보통 며칠 걸려요?", "courier>{B} 경비실 보관 요청은 어디에 적어요?",
    ),
    "announcement": (
        "{B} 신제품 발표했대 ㅋㅋ 이번엔 {goods:이래}", "refund>{B} 환불 정책 개정 안내 {D}부터 적용됩니다",
        "{B} 광고 모델 {NAME:이래}요 ㅋㅋ 방금 공개됐어요",
        "online>{B} {D} 정기 점검 후 이용 가능합니다 이용에 참고 부탁드립니다 감사합니다",
        "online>[공지] {B} 서비스 점검 안내 {D} {MH}부터 {MH2}까지 일부 기능 이용이 제한됩니다",
        "online>{B} {D} 정기 점검 예정입니다 점검 중에는 로그인이 불가합니다",
        "{B} 고객센터 운영시간이 {D}부터 {H}~{H2:으로} 변경됩니다",
        "member>{B} 신규 회원 대상 {R} 할인 쿠폰 지급 이벤트를 진행합니다", "{B}, {D} {goods} 신제품 출시",
        "{B} 새 {goods} 라인업 공개… {D}부터 판매", "{B} {P} {D} 신규 오픈 예정입니다",
        "{B} 개인정보 처리방침 개정 안내 ({D} 시행)", "{B} 이용약관 일부 변경 안내드립니다 시행일은 {D}입니다",
        "ship>{B} {HOLIDAY} 배송 일정 안내드립니다", "{B} {HOLIDAY} 고객센터 휴무 안내",
        "{B} {Q} 매출 {AMT} 기록… 전년 대비 {R} 증가", "{B} {Q} 영업이익 {AMT}… 전년 대비 {R} 감소",
        "{B} 신임 대표이사에 {NAME} 부사장 선임", "{B}, {NAME} 신임 CX 총괄 임명",
        "{B}, {YEAR} {HALF} 신입사원 공개채용 시작", "{B} 경력직 채용 공고 올라왔네요 {D} 마감이래요",
        "launch,commerce>{B} {T} 저녁 8시 신제품 라이브 방송 예정입니다",
        "{APP} {VER} 버전 업데이트 안내 결제 화면이 새롭게 바뀌었습니다", "{B} 시즌 메뉴 {menu} {D} 출시 가격은 {MW}",
        "{B} {plan} 신규 출시 월 {W}", "{B} {fin} 금리 연 {RATE}% 적용 안내",
        "{B} {route} 신규 취항… {D}부터 주 {NUM}회 운항", "{B} {content} {D} 업데이트 예정 패치노트는 추후 공개",
        "{B} {device} 사전예약 {D} 시작", "commerce,food,convenience,courier>{B}, {CITY}에 물류센터 신설",
        "{B} 본사 {CITY:으로} 이전 예정", "{B}, 브랜드 모델로 배우 {NAME} 발탁",
        "{B:과} {XB} 업무 제휴 체결… 포인트 상호 전환 가능", "order>{B} 블랙프라이데이 행사 {D}부터 최대 {R} 할인",
        "ship>{B} {D}부터 전 상품 무료배송 이벤트 진행", "{APP} 점검 공지 떴네요 {MH}부터래요",
        "launch>오늘 {B} 신제품 발표했대요", "{B} {content} 사전등록 시작했대요",
        "ship>{B} 공식 계정에 공지 올라왔어요 {T}부터 배송 정책 바뀐대요",
        "{B} {P} {D}부터 리모델링 들어간대요 한 달 정도 휴업이래요", "store>{B} {CITY}에 새 매장 연다고 기사 났네요",
        "{B} 고객센터 전화번호 {D}부터 {TEL:으로} 바뀐대요", "{B} {Q} 실적 발표 {D} 예정",
        "{B} {HALF} 공채 서류 접수 {D}까지래요", "{B} 이번에 CI 바꿨네요 로고 새로 나왔어요",
        "member>{B} {D}부터 멤버십 등급 기준 개편 공지",
        "online>{B} 알림: {D} {MH}~{MH2} 시스템 작업으로 결제가 일시 중단됩니다",
        "[보도자료] {B}, {YEAR} {HALF} 신규 서비스 로드맵 발표", "{B} {goods} 신형 {D} 공개 예정이라고 공지 떴어요",
        "{B} {menu} {D}부터 가격 조정 안내 붙어 있네요", "{B} 공식 유튜브에 {content} 트레일러 올라왔어요",
        "{B} {P} 오늘부터 영업시간 {H}~{H2:으로} 바뀐다고 안내문 붙었어요",
    ),
    "share": (
        "ㅋㅋ 요즘 {B} 광고 또 나오네 엄청 하네", "{B} {P} 줄 엄청 길던데 ㅋㅋ 오픈 이벤트 때문인가 봐요",
        "refund>{B} 환불 규정 {D}부터 바뀐대요 수령 후 7일 이내래요",
        "{B} 고객센터에 문의 남겼어요 답변 기다리는 중이에요", "{B} {goods} 택배 받았어요 개봉은 주말에 할 듯 ㅎㅎ",
        "{goods} 주문했어요 {T} 도착 예정이래요", "{B}에서 {goods} 시켰는데 지금 배송 준비 중이래요",
        "오늘 {B} {P}에서 {goods} 픽업해 왔어요", "{B} {P}에서 {menu} 픽업했어요",
        "{B} {P} 영업시간 {H}부터 {H2}까지예요 참고하세요", "{B} {P} 이번 주 일요일은 휴무래요",
        "member>{B} 이번 주말까지 {R} 할인한다네요", "{B} {goods} 다음 주에 재입고된대요",
        "ship>{B:이랑} {B2} 둘 다 무료배송 기준이 {W} 이상이네요",
        "같은 {goods} 기준으로 {B:은} {W}, {B2:은} {W2}이네요",
        "{B:이랑} {B2} {plan} 가격 비교해봤는데 {W}, {W2:이에요}", "{B} {P} 자리에 {XB} 들어온대요",
        "app>친구가 그러는데 {B} {T}부터 앱 개편한대요", "{B} 관련 기사 링크 공유합니다 {URL}",
        "{B} 공식 블로그에 {content} 패치노트 올라왔어요 {URL}", "{B} {fin} 금리 {RATE}%래요 {B2:은} {RATE2}%고요",
        "{B:으로} {food} 시켰어요 {MIN} 뒤 도착 예정이래요", "{B} {route} 예약했어요 {D} 출발이에요",
        "{CB:으로} 반품 보냈어요 {T} 회수 예정이래요", "{B} {device} 점검 예약 {D:으로} 잡았어요",
        "{B} {plan:으로} 바꿨어요 다음 달부터 적용된대요", "{B} {P} 내일부터 {H} 오픈이래요",
        "{B} {menu} 이번 달까지만 판매한대요", "요즘 {B} 광고 자주 보이네요", "{B} 본사 {CITY:으로} 옮긴다네요",
        "{B} {content} {T} 업데이트래요 패치노트는 아직이고요", "ship>{B}에서 문자 왔는데 {T} 배송 출발한대요",
        "{CB} 조회해보니까 지금 {CITY} 허브 도착이래요", "online>{B} 점검 때문에 {MH}부터 {MH2}까지 결제가 안 된대요",
        "{B} {goods} 이번에 색상 두 개 추가됐네요", "{B} 고객센터 채팅 상담은 {H2}까지라고 하네요",
        "{B} {goods} 결제 완료했고 {T} 출고 예정이래요", "{B} {P} 가봤는데 평일 낮이라 한산하더라고요",
        "member>{B} 멤버십 포인트 {D}에 소멸된대요 쓰실 분들 참고요", "app>{B} 앱 새 버전 나왔네요 {VER:이래}요",
        "{B} {route} 체크인 카운터 {H}부터 연대요", "{B} {fin} 신청했어요 심사는 {N} 정도 걸린대요",
        "{B} {plan} 다음 달부터 {W:으로} 바뀐대요", "{B} 이번 이벤트 당첨자 발표는 {D:이래}요",
        "{B} {food} {W}에 배달팁 따로래요", "{B:이랑} {XB} 제휴해서 포인트 같이 쓸 수 있다네요",
        "{B} {P} 주차는 2시간 무료래요", "launch,commerce>{B} 라이브 방송 {T} 저녁 8시래요 {URL}",
        "{B} {device} 전시장에 실물 들어왔다네요", "{CB} 기사님이 {T} 방문 예정이라고 문자 주셨어요",
        "ship>{B} 반품 접수했어요 회수는 {T} 온대요", "{B} {menu} 새로 나왔던데 {MW}더라고요",
    ),
    "complaint": (
        "{B} 답변 감사하다고 하기엔 해결된 게 하나도 없네요", "ship>{B} 또 배송 밀린대요 벌써 {C}예요",
        "refund>{B} 환불은 {N} 걸린대요 장난하나", "store>{B} {P} 다음 주에 문 닫는대요 공지도 없이 진짜 어이없네",
        "ship>{B} 고객센터에서 제 과실이라 교환 안 된대요 말이 되나",
        "ship>{B} 공지 보니까 {D}부터 배송비 올린다네요 진짜 너무하네",
        "launch>{B} 신제품 출시 전에 기존 제품 AS나 제대로 해주세요",
        "{B} 고객센터 전화 {N}째 안 받네요 진짜 너무하네요", "{B} {fail}네요 진짜 짜증나요",
        "{B} 또 {fail}네 진짜 최악", "{B} 상담원 너무 불친절해요 말을 끝까지 듣지도 않고 끊어버리네요",
        "sub>{B} 해지하려고 전화했더니 {K} 돌리고 혜택 얘기만 하다 끝났어요 해지 방어 진짜 심하네요",
        "refund>{B} 환불 요청한 지 {N} 넘었는데 아직도 처리가 안 됐어요",
        "{B} 가격 또 올렸네요 서비스는 그대로면서 값만 오르네", "online>{B} 탈퇴 메뉴를 꼭꼭 숨겨놨네요 너무해요",
        "{B} 챗봇은 같은 말만 반복하고 상담원 연결은 안 되고 답답해 죽겠어요",
        "{B} 개인정보 유출됐다는데 사과 문자 한 통이 끝이네요 어이없어요",
        "{B} 가격 인상 공지 떴네요 또 올리네 이제 진짜 갈아탑니다", "{B} {fail}는데 고객센터는 기다리라는 말만 하네요",
        "online>{B} 또 점검이래 맨날 점검만 하냐", "{B} 다음 달부터 또 가격 올린대요 진짜 너무하네",
        "refund>{B} 환불 규정 또 바꿨다네요 소비자만 손해예요",
        "{B} {Q} 실적은 역대급이라면서 가격은 또 올리네요 어이없다",
        "{APP} 업데이트하고 나서 계속 튕겨요 아무것도 못 하겠네요",
        "{APP} 로그인하면 오류 코드만 떠요 {TP}부터 계속 이래요",
        "{APP} 결제 오류 나서 돈은 빠져나갔는데 주문은 안 들어갔어요", "{APP} 먹통이에요 {TP}부터 로딩만 돌아요",
        "{APP} 개편하고 더 불편해졌네요 예전으로 돌려주세요",
        "commerce,electronics>{B}에서 산 {goods} {N} 만에 고장났어요 불량 아닌가요",
        "{goods} 받았는데 불량이에요 교환 신청했더니 사진을 {K}이나 보내래요",
        "{B} {goods} 주문한 지 {N}인데 아직도 배송 준비 중이에요 장난하나",
        "ship>{B} 반품 접수했는데 {N}째 회수를 안 해가요",
        "{B} 상품 설명이랑 완전 다른 {goods:이} 왔어요 환불도 안 해준대요",
        "commerce,electronics>{B} {goods} 쓴 지 {N}인데 벌써 고장났어요 돈 아까워",
        "{B:으로} {food} 시켰는데 {fail}네요 돈 아까워", "{B} {food} 한 시간 반 만에 왔는데 다 식어서 못 먹겠어요",
        "{B:으로} {food} 시켰는데 머리카락 나왔어요 사장님은 사과도 없네요",
        "food>{B} 배달팁 또 올랐네요 이제 배달 못 시켜 먹겠다",
        "{B} {P} 직원 너무 불친절해요 물어보는데 대답도 안 하네요",
        "{B} {P} 영업시간이라고 돼 있는데 가보니까 문 닫혀 있었어요 헛걸음했네요",
        "{B} {plan} 해지했는데 이번 달에도 요금 나갔어요", "{B} {plan} 요금 또 인상이라니 더는 못 쓰겠네요",
        "telecom,gym,streaming>{B} 약정 끝났는데 위약금 청구됐어요 어이가 없네요",
        "{B} {fin} 신청했는데 {N}째 심사 중이래요 연락도 없고",
        "finance>{B} 송금했는데 상대방한테 안 들어갔어요 돈은 빠져나가고",
        "{B} {route} 결항됐는데 대체편도 안 잡아주네요", "airline>{B} 수하물 파손됐는데 보상 절차가 너무 복잡해요",
        "{B} {content} 나오자마자 서버 터짐 이럴 거면 왜 출시했냐", "game>{B} 점검 {K} 연장하고 보상은 꼴랑 이거냐",
        "{B} {device} 서비스센터 예약이 {N} 뒤라네요 그동안 어쩌라고",
        "{B} {device} 리콜 대상이라는데 연락 한 통 없었네요", "{CB} 택배 또 분실됐네요 벌써 {C}예요",
        "{CB} 기사님이 경비실에 맡긴다더니 그냥 문 앞에 던지고 가셨네요 비 다 맞았어요",
        "{CB} 배송 조회 {N}째 '배송 중'에서 안 움직여요", "{B} {fail}네요 하 진짜 열받는다",
        "member>{B} 쿠폰 준다더니 적용도 안 되고 문의 남겨도 답이 없어요", "{B} {TP} {fail}는데 사과 한마디 없네요",
        "{B} {menu} {MW}이나 받으면서 양은 반토막이네요", "online>{B} 이번 개편 최악이에요 필요한 메뉴를 다 숨겨놨어요",
    ),
    "complaint_question": (
        "refund>{B} 왜 아직도 환불 안 해주나요?", "{B} 이거 언제 고쳐요 도대체",
        "ship>{B} 주문한 지 {N}인데 배송 도대체 언제 와요?", "{B} 상담원 연결은 왜 이렇게 안 되는 거예요?",
        "{APP} 오류 {N}째인데 공지 하나 없는 게 말이 되나요?",
        "refund>{B} 환불 요청한 지 {N}째인데 언제까지 기다려야 하나요?",
        "pay>{B} 결제 두 번 됐는데 이거 언제 돌려줄 건가요?", "{B} 가격은 왜 맨날 올리는 거예요? 서비스는 그대로면서",
        "online>{B} 점검을 대체 몇 번 하는 거예요??", "{B} {goods} 불량인데 교환 왜 안 해주시는 거죠?",
        "{B} 고객센터 전화 몇 번을 해야 받아요?", "{B:은} 공지도 없이 이러면 어떡하나요?",
        "{CB} 배송완료라는데 물건은 어디 있나요? 장난해요?", "{B} {food} 한 시간째 안 오는데 취소는 왜 안 돼요?",
        "sub>{B} 해지 신청하면 왜 자꾸 다른 부서로 돌려요?", "order>{B} 이게 {W}짜리 품질 맞아요?",
        "{B} {fail}는데 이거 누가 책임져요?", "{B} 또 {fail}는데 이거 언제 고쳐줄 거예요?",
        "{B} {plan} 해지했는데 왜 요금이 또 나가요?", "{B} {route} 결항인데 환불은 왜 수수료를 떼요?",
        "{B} {content} 보상 이게 다예요?? 장난하나", "{B} {P} 직원분 원래 이렇게 불친절한가요?",
        "{B} {device} 산 지 {N}인데 벌써 고장이면 어떡해요?", "member>{B} 쿠폰 준다더니 왜 적용이 안 되는 거죠?",
        "이게 {B} 고객 응대 수준인가요?", "online>{B} 이번 개편 누가 한 거예요? 쓰기 더 불편해졌는데",
        "{B} 사과문 하나 없이 그냥 넘어가는 거예요?", "{B} {fail}는데 답변은 언제 주실 건가요?",
        "order>{B} 주문번호 {O} {N}째 그대로인데 도대체 뭐 하시는 거예요?",
        "{B} 공지에 {D}까지 해준다더니 왜 아직이에요?", "cafe>{B} {menu} 주문했는데 {MIN}째 안 나오는 게 정상이에요?",
        "finance>{B} 이체가 왜 {N}째 보류예요?", "online>{B} 탈퇴 버튼은 도대체 어디 숨겨놨어요?",
        "commerce,electronics>{B} {goods} 박스 뜯자마자 고장인데 이걸 제 잘못이라고요?",
        "{CB} 문 앞에 두지 말라고 적었는데 왜 또 던지고 가세요?",
        "sub>{B} 요금 또 올린다고요? 이번 달만 벌써 두 번째 아닌가요?", "{B} 상담원은 왜 매번 말이 달라요?",
        "{B} {plan} 위약금이 왜 {W}이나 나와요?",
    ),
    "sarcasm": (
        "refund>{B} 사과 문자 감사합니다^^ 근데 환불은요?", "{B} 친절한 안내 감사합니다^^ 해결은 하나도 안 됐지만요",
        "와 진짜 대단하다 또 {fail}네 ㅋㅋ", "역시 믿고 거르는 {B}", "order,airline>{B} 서비스 최고네요^^ {C} 취소",
        "parcel>{B} 배송 빠른 거 보소 주문한 지 {N}째 ㅋㅋ", "{B} 덕분에 인내심이 많이 늘었어요^^",
        "{B} 고객센터 연결 대기 {MIN} 실화냐 ㅋㅋ 덕분에 밥 다 먹었네", "역시 {B} 기대를 저버리지 않네 또 {fail}네",
        "{B} 가격 또 올렸네 ㅋㅋ 이번엔 뭐가 좋아졌을까^^ 아 아무것도 없구나",
        "online>{B} 점검 끝났다길래 들어갔더니 또 점검 ㅋㅋ 점검이 본업인 듯",
        "refund>고객 감동 {B} ㅋㅋ 감동해서 눈물 나네 환불 {N}째 대기 중", "{B:은} 진짜 한결같다 오늘도 {fail}네 ㅋㅋ",
        "order>{B} 완벽하다 결제는 되고 주문은 안 들어가고 ㅋㅋ", "{APP} 업데이트 대단하네 ㅋㅋ 이제 아예 안 켜짐",
        "오 {B} 드디어 답장 옴 {N} 만에 ㅋㅋ 복붙 답변이지만^^", "{B} 이 정도면 고객 떨구는 게 목표인 듯 ㅋㅋ",
        "commerce,electronics>와 {B} {goods} 품질 진짜 놀랍다 {N} 만에 고장 ㅋㅋ",
        "sub>{B} 해지 방어 실력 국가대표급이네요 ㅋㅋ 전화 {K} 돌림",
        "친절한 {B} ㅋㅋ 상담원이 먼저 끊어주시고 감사합니다^^", "{B} 공지 잘 봤습니다^^ 사과는 어디 갔나요",
        "online>{B} 이번 업데이트로 드디어 {fail}네 축하드려요 ㅋㅋ", "{B} 역시 실망시키지 않아 ㅋㅋ 또 {fail}네",
        "{B} 가격 인상 소식 너무 기쁘네요^^ 월급은 그대로인데", "{CB} 택배 던지기 실력 올림픽 나가도 될 듯 ㅋㅋ",
        "대단하다 {B} 어떻게 매번 새로운 방법으로 실망시키냐 ㅋㅋ", "{B} 오늘도 평화롭게 {fail}네 ㅎㅎ",
        "order>{B} 주문 취소 장인 인정합니다 벌써 {C} ㅋㅋ",
        "감사합니다 {B} 덕분에 주말 내내 고객센터랑 데이트했네요^^",
        "parcel>{B} 배송 추적하는 재미가 있네 {N}째 같은 자리 ㅋㅋ", "{B} {food} 아이스크림인 줄 ㅋㅋ 다 식어서 옴",
        "launch>{B} 신제품 발표 축하해요^^ 기존 제품 불량부터 고쳐주시면 더 좋고요",
        "우와 {B} 공지 없이 가격 올리는 센스 ㅋㅋ 역시", "{B} 상담원분 AI보다 더 기계 같으세요 ㅋㅋ 같은 말만 {K}",
        "{B}는 사람 인내심 테스트하는 회사인가 봐요^^", "{B} 기다림의 미학 제대로 배웁니다 ㅋㅋ {N}째 대기",
    ),
    "mixed_negative": (
        "{B} {goodbit} {fail}는데 이건 좀 아니죠", "{goodbit} {fail}는데 다시 이용할 일은 없을 것 같아요",
        "{B} {goodbit} 고객센터 응대가 너무 별로라 실망했어요",
        "{goodbit} {fail}는데 고객센터 답도 없어서 결국 환불했어요", "{B} 처음엔 괜찮았는데 요즘 {fail}네요 실망이에요",
        "{B} 예전엔 좋았는데 요즘 왜 이래요 {fail}네요", "{B} {goodbit} 그거 하나 빼고 다 별로예요",
        "{B} {goodbit} 그걸로 덮을 수준이 아니네요 {fail}네요", "{B} {goodbit} 불친절한 응대 때문에 기분 다 망쳤어요",
        "나쁘진 않은데 {B} {fail}는데 사과 한마디 없는 건 좀…",
        "{B} 쿠폰은 고맙긴 한데 {fail}는데 쿠폰으로 퉁치려는 건 아니죠",
        "{B} {goodbit} 가격 오른 거 생각하면 이제 메리트가 없네요", "{goodbit} {B} {fail}는데 이러면 누가 또 써요",
        "{B} {goodbit} 이번엔 {fail}네요 다음은 없어요",
        "솔직히 {goodbit} {B} 요즘 {fail}는데 대응까지 느려서 정떨어져요",
        "{B} 장점은 딱 하나 {goodbit} 나머진 다 실망",
    ),
    "praise": (
        "다들 {B} 써보셨어요? 진짜 최고예요", "{B} {menu} 먹어보셨나요? 인생 메뉴예요",
        "ship>{B} 배송 왜 이렇게 빨라요?? 어제 시켰는데 벌써 옴", "{B} 이 정도면 상 줘야 하는 거 아닌가요? 최고",
        "{B} 어떻게 이렇게 친절하죠? 감동받았어요", "{B} {goods} 이 가격 실화인가요? 너무 좋아요",
        "member>{B} 이번 달 쿠폰 {R}래요 개이득", "{B} {goods} 재입고됐대요 드디어 ㅠㅠ 기다린 보람 있다",
        "{B} 이벤트 당첨자 발표 났는데 저 됐대요 대박 ㅋㅋ", "ship>{B} 배송 내일 온대요 진짜 빠르네요 최고",
        "refund>{B} 고객센터에서 바로 환불해준대요 역시 믿고 씁니다",
        "launch>{B} 출시 소식 듣고 바로 샀는데 진짜 잘 샀다 ㅋㅋ",
        "member>{B} 공지 보고 이벤트 참여했는데 쿠폰 바로 들어왔어요 개꿀",
        "{B} 요즘 왜 이렇게 잘해요? ㅋㅋ 계속 쓰게 됨", "refund>{B} 환불 문의했더니 바로 처리해줬어요 최고",
        "{B} {win}네요 완전 만족해요", "{B} {goods} 가성비 미쳤다", "{B} {food} 존맛 ㅠㅠ 또 시킬 듯",
        "{B} {menu} 진짜 존맛탱", "member>{B} 이번 이벤트 개꿀이네요", "{B} 대박 {win}네", "{B} 최고예요 {win}네요",
        "{B} 고객센터 응대 진짜 빠르고 친절해요", "{B} {goods} 인생템 등극 ㅠㅠ",
        "{B} {plan:으로} 바꿨는데 요금 확 줄었어요 진작 바꿀걸", "{B} {fin} 진짜 편해요 수수료도 없고 처리도 빨라요",
        "{B} {route} 진짜 쾌적했어요 다음에도 탈 거예요", "{B} {content} 진짜 재밌다 밤새 했음",
        "{B} {device} 산 거 올해 제일 잘한 일", "launch>{B} 신제품 나왔길래 사봤는데 대박이에요",
        "{B} {goods} 출시됐대서 바로 샀는데 완전 만족", "online>{B} 이번 업데이트 진짜 잘했네요 훨씬 편해졌어요",
        "{B} {P} 새로 오픈했다길래 가봤는데 너무 좋아요", "ship>{B} 리뷰 보고 샀는데 소문대로네요 최고",
        "{B} {goods} 이 가격에 이 퀄리티 실화냐? 가성비 미쳤다", "{B} 왜 이제 알았지? 완전 내 스타일",
        "{B} {P} 직원분들 다 친절하시고 매장도 깨끗해요", "ship>{B} 반품 진짜 깔끔하게 처리해주네요 믿고 삽니다",
        "ship>{B} 배송 총알이네 어제 주문했는데 벌써 옴 ㄷㄷ", "member>{B} 멤버십 혜택 개꿀 ㅋㅋ 본전 뽑았다",
        "{B} {win}네 ㄹㅇ 최고", "{B}는 사랑입니다", "{B} 믿고 쓰는 이유가 있네요 {win}네요",
        "와 {B} 진짜 대단하다 {win}네 감동", "{B} {menu} 존맛이래서 먹어봤는데 진짜 맛있네요",
        "launch>{B} 신제품 발표 보고 사전예약했는데 실물이 더 예뻐요 대만족",
        "member>{B} 이번 이벤트 진짜 혜자네요 쿠폰 {R} 개꿀", "arrive>{B} 걱정했는데 하나도 안 늦고 왔어요 최고",
        "order>{B} 이 가격이면 거의 공짜 아닌가요? 대박", "{B} {food} 시켰는데 {win}네 여기 단골 확정",
        "commerce,electronics,fashion>{B} {goods} 쓴 지 1년 넘었는데 아직도 새거 같아요 강추",
        "{B} 다른 데 쓰다가 넘어왔는데 왜 이제 왔나 싶어요", "{B} 요즘 제일 잘하는 듯 {win}네요",
        "{B} {menu} 먹으러 {P} 또 갑니다 존맛", "{B} 이번 {content} 역대급이네요 운영진 일 잘한다",
        "car>{B} {device} 시승해봤는데 {win}네요 계약 각", "app>{B} 앱 개편 대박 훨씬 보기 편해졌어요",
        "order>{B} 가격 올랐다길래 걱정했는데 품질 보니 납득 완료 👍",
    ),
    "thanks": (
        "{B} 문의 남기자마자 답 주셨네요? ㅎㅎ 감사합니다", "{B} 상담사님 덕분에 문제 해결했어요 감사합니다",
        "{CB} 기사님 비 오는데 문 앞까지 조심히 가져다주셔서 감사해요",
        "{B} {P} 직원분 친절하게 안내해주셔서 감사했어요", "{B} 고객센터 {NAME} 상담사님 너무 친절하셨어요 칭찬합니다",
        "refund>{B} 환불 빠르게 처리해주셔서 감사합니다", "food>{B} 배달 기사님 추운데 고생 많으셨어요 감사합니다",
        "늦은 시간에도 답변 주셔서 감사해요 {B} 최고", "{CB} 분실된 줄 알았던 택배 찾아주셔서 정말 감사합니다",
        "ship>{B} 불량 교환 바로 해주셔서 감사해요 대응 깔끔하네요",
        "gym>{B} 트레이너님 덕분에 몇 달 만에 체력 많이 늘었어요 감사해요",
        "airline>{B} 승무원분들 아이 데리고 탔는데 너무 잘 챙겨주셔서 감사했어요",
        "game>{B} 운영진님들 보상 챙겨주셔서 감사합니다", "{B} 빠른 답변 감사합니다 덕분에 해결됐어요!",
        "{B} {device} 수리 꼼꼼하게 해주셔서 감사합니다", "member>{B} 생일 쿠폰 감사합니다 잘 쓸게요",
        "{B} 고객센터 진짜 감사해요 {K}이나 물어봤는데 끝까지 친절하셨어요",
        "{B} 보상 쿠폰 감사히 받았습니다 다음에도 이용할게요",
        "order>{B} 주문 실수했는데 바로 바꿔주셔서 감사해요 살았다",
        "cafe,convenience>{B} {P} 사장님 서비스 챙겨주셔서 감사합니다 또 갈게요",
        "ship>{B} 상담원분 불량인 줄 알았는데 사용법 차근차근 알려주셔서 감사해요",
        "{B} 이벤트 당첨됐어요 감사합니다 ㅎㅎ", "order>{B} 누락된 거 바로 다시 보내주셔서 감사해요",
        "{B} {D}에 문의한 거 오늘 해결됐어요 끝까지 신경 써주셔서 감사합니다",
        "{CB} 기사님 무거운 거 현관까지 옮겨주셔서 감사합니다",
        "{B} 고객센터 연결 빨라서 놀랐어요 친절한 안내 감사합니다",
        "parcel>{B} 덕분에 {HOLIDAY} 선물 제때 받았어요 감사해요",
        "{B} 챗봇 말고 상담원분이 직접 챙겨주셔서 감사했어요", "{B} 늦어져서 죄송하다고 쿠폰까지 주셔서 감사합니다",
    ),
    "mixed_positive": (
        "{B} {badbit} 이 정도면 만족 아닌가요? 전 좋았어요 ㅎㅎ", "{badbit} {win}네요 완전 만족해요",
        "{B} {badbit} 그거 빼면 다 최고예요", "{badbit} 그래도 {B}만 한 데가 없어요",
        "{B} {badbit} {win}네요 재구매 의사 있어요", "order,airline,sub>{B} {badbit} 이 가격이면 충분히 만족해요",
        "{B} 처음엔 좀 헤맸는데 익숙해지니까 너무 편하네요",
        "store>{B} {badbit} 직원분들이 친절해서 기분 좋게 다녀왔어요", "살짝 아쉬운 점은 있지만 {B} {win}네요 추천해요",
        "{B} {badbit} 쿠폰까지 챙겨줘서 오히려 좋아요", "{B} 완벽하진 않은데 {win}네요 이 정도면 대만족",
        "{B} {badbit} 다음에도 이용할 거예요", "{B} {badbit} 그래도 {win}네요 ㅎㅎ 좋아요",
        "단점이 없진 않은데 {B} {win}네요 강추", "{B} {badbit} 고객센터가 바로 해결해줘서 오히려 더 믿음 가요",
        "{badbit} {B} 이 정도면 별 다섯 개 줍니다", "order>{B} 가격 오른 건 아쉽지만 품질은 여전히 최고예요",
    ),
}

CLOSERS: dict[str, tuple[str, ...]] = {
    "question": (
        "아시는 분 계신가요?", "답변 부탁드려요", "궁금해서요", "알려주시면 감사하겠습니다", "혹시 아시는 분?",
    ),
    "announcement": ("참고하세요", "공유합니다", "다들 알아두세요", "자세한 건 공지 확인하세요", "관련 링크는 아래에"),
    "share": ("참고하세요", "그냥 공유해요", "혹시 몰라서 올려요", "기록용", "다들 참고요"),
    "negative": (
        "진짜 실망이에요", "다시는 안 씁니다", "답답하네요", "소보원에 신고할게요", "하…", "열받네", "이게 맞나요?",
        "확인 부탁드립니다", "책임지세요",
    ),
    "positive": (
        "추천합니다", "또 이용할게요", "번창하세요", "강추", "짱이에요", "재구매 각", "너무 좋아요", "다들 써보세요",
        "감동이에요",
    ),
}

_AREAS = (
    "강남", "홍대", "잠실", "판교", "신촌", "여의도", "건대", "성수", "서면", "해운대", "동성로", "수원역", "일산",
    "분당", "광화문", "종로", "대전역", "전주", "청주", "송도", "광교", "목동", "노원", "용산", "합정", "연남",
    "을지로", "부평", "센텀", "충장로", "동탄", "평촌",
)
_CITIES = (
    "서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "수원", "성남", "청주", "전주", "천안", "김해",
    "용인", "평택", "이천", "제주", "창원", "원주",
)
_SURNAMES = (
    "김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권", "황", "안", "송", "류",
    "홍",
)
_GIVEN = (
    "민준", "서연", "지훈", "수빈", "현우", "지영", "동현", "은지", "성민", "혜진", "재원", "유나", "태호", "다은",
    "준서", "하린", "승우", "예린", "정훈", "소희",
)
_DURATIONS = ("사흘", "나흘", "닷새", "일주일", "열흘", "2주", "보름", "한 달", "3주", "5일", "6일", "9일")
_FUTURE = (
    "오늘", "내일", "모레", "이번 주 금요일", "다음 주 월요일", "이번 주말", "내일 오전", "오늘 저녁", "다음 주 중",
    "수요일", "내일 오후",
)
_PAST = ("어제", "그저께", "지난주", "지난 주말", "오늘 아침", "어젯밤", "사흘 전", "지난 금요일", "아까", "엊그제")
_HOLIDAYS = ("설 연휴", "추석 연휴", "연말", "크리스마스", "어린이날", "한글날", "연휴")
_TIMES_K = ("두 번", "세 번", "네 번", "다섯 번", "여러 번", "몇 번")
_ORDINALS = ("두 번째", "세 번째", "네 번째", "다섯 번째")
_HANDLE_WORDS = (
    "minji", "daily", "coffee", "jun", "bbang", "haru", "sora", "moon", "yuna", "doyoon", "hoya", "jisu", "nana",
    "mint", "cat", "run", "seoul",
)
_URL_HOSTS = ("bit.ly", "t.co", "han.gl", "youtu.be", "vo.la", "me2.do")

_JOSA = {"은": ("은", "는"), "이": ("이", "가"), "을": ("을", "를"), "과": ("과", "와"), "으로": ("으로", "로"),
         "이랑": ("이랑", "랑"), "이에요": ("이에요", "예요"), "아": ("아", "야"), "이고": ("이고", "고"),
         "이래": ("이래", "래")}
_DIGIT_FINAL = {"0": 21, "1": 8, "2": 0, "3": 16, "4": 0, "5": 0, "6": 1, "7": 8, "8": 8, "9": 0}
_SLOT = re.compile(r"\{(\w+)(?::(\w+))?\}")
_ITEM_SLOTS = ("goods", "food", "menu", "plan", "fin", "route", "content", "device")


def _final(word: str) -> int:
    """Index of the final consonant (받침) of how `word` is read, 0 when it ends in a vowel; 8 is ㄹ."""
    last = word.rstrip(" )'\"…")[-1:] or "가"
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28
    if last.isdigit():
        return _DIGIT_FINAL[last]
    return 8 if word.lower().endswith(("mobile", "l")) else 0


def josa(word: str, particle: str) -> str:
    """The form of `particle` (given by its after-consonant form) that follows `word`."""
    with_final, without = _JOSA[particle]
    final = _final(word)
    if particle == "으로":
        return without if final in (0, 8) else with_final
    return with_final if final else without


def _brand(entry: str) -> str:
    """The display name of a "name/handle" brand entry."""
    return entry.split("/")[0]


def _price(rng: random.Random) -> str:
    """A price such as 12,900원."""
    n = rng.randint(10, 600) * 100
    if rng.random() < 0.6:
        n = n // 1000 * 1000 + 900
    return f"{n:,}원"


def _hours(rng: random.Random) -> tuple[str, str]:
    """Opening and closing time."""
    opening = f"오전 {rng.randint(7, 11)}시" + (" 반" if rng.random() < 0.2 else "")
    closing = rng.choice((f"오후 {rng.randint(5, 9)}시", f"밤 {rng.randint(9, 11)}시", "자정"))
    return opening, closing


def _maintenance(rng: random.Random) -> tuple[str, str]:
    """Start and end of a maintenance window."""
    start = rng.randint(0, 4)
    end = start + rng.randint(2, 4)
    return ("자정" if start == 0 else f"새벽 {start}시"), f"{'새벽' if end < 6 else '오전'} {end}시"


def _url(rng: random.Random) -> str:
    """A short link."""
    chars = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return f"https://{rng.choice(_URL_HOSTS)}/" + "".join(rng.choice(chars) for _ in range(rng.randint(5, 8)))


def _date(rng: random.Random) -> str:
    """A date such as 12월 5일."""
    return f"{rng.randint(1, 12)}월 {rng.randint(1, 28)}일"


def _other(rng: random.Random, pool: Sequence[str], not_this: str) -> str:
    """A brand from `pool` other than `not_this`."""
    return _brand(rng.choice([b for b in pool if _brand(b) != not_this]))


ALL_BRANDS = tuple(b for s in SECTORS for b in s.brands)
_GLOBAL: dict[str, Callable[[random.Random], str]] = {
    "T": lambda r: r.choice(_FUTURE) if r.random() < 0.75 else _date(r),
    "TP": lambda r: r.choice(_PAST),
    "D": _date,
    "N": lambda r: r.choice(_DURATIONS),
    "W": _price,
    "W2": _price,
    "MW": lambda r: f"{r.randint(15, 99) * 100:,}원",
    "O": lambda r: f"{r.randint(2024, 2026)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}-{r.randint(1, 99999):05d}",
    "R": lambda r: f"{r.choice((5, 10, 15, 20, 25, 30, 40, 50, 70))}%",
    "K": lambda r: r.choice(_TIMES_K),
    "C": lambda r: r.choice(_ORDINALS),
    "NAME": lambda r: r.choice(_SURNAMES) + r.choice(_GIVEN),
    "Q": lambda r: r.choice(("1분기", "2분기", "3분기", "4분기", "상반기")),
    "AMT": lambda r: (f"{r.randint(120, 9800):,}억 원" if r.random() < 0.6
                      else f"{r.randint(1, 9)}조 {r.randint(1, 9)}천억 원"),
    "RATE": lambda r: f"{r.randint(20, 69) / 10:.1f}",
    "RATE2": lambda r: f"{r.randint(20, 69) / 10:.1f}",
    "MIN": lambda r: f"{r.choice((15, 20, 25, 30, 35, 40, 45, 50, 70, 90))}분",
    "CITY": lambda r: r.choice(_CITIES),
    "HOLIDAY": lambda r: r.choice(_HOLIDAYS),
    "TEL": lambda r: f"1{r.choice(('588', '577', '544', '600', '661', '899'))}-{r.randint(1000, 9999)}",
    "URL": _url,
    "VER": lambda r: f"{r.randint(2, 9)}.{r.randint(0, 20)}.{r.randint(0, 9)}",
    "YEAR": lambda r: f"{r.randint(2025, 2027)}년",
    "HALF": lambda r: r.choice(("상반기", "하반기")),
    "NUM": lambda r: str(r.randint(2, 14)),
    "P": lambda r: r.choice(_AREAS) + "점",
    "CB": lambda r: _brand(r.choice(SECTOR_BY_NAME["courier"].brands)),
}


def _needs(frame: str, sector: Sector) -> bool:
    """Whether `sector` can fill every slot of `frame` (and is allowed by its sector prefix)."""
    if ">" in frame:
        allowed, frame = frame.split(">", 1)
        names = [n for token in allowed.split(",") for n in GROUPS.get(token, (token,))]
        if sector.name not in names:
            return False
    for name, _ in _SLOT.findall(frame):
        if (name in _ITEM_SLOTS and name not in sector.slots) or (name == "APP" and not sector.app):
            return False
        if name == "P" and not sector.branches:
            return False
    return True


def _fill(frame: str, sector: Sector, rng: random.Random) -> str:
    """Fill the slots of `frame` for `sector`."""
    frame = frame.split(">", 1)[1] if ">" in frame else frame
    brand = _brand(rng.choice(sector.brands))
    values: dict[str, str] = {"B": brand}
    hours, maint = _hours(rng), _maintenance(rng)
    for name, _ in _SLOT.findall(frame):
        if name in values:
            continue
        if name == "B2":
            values[name] = _other(rng, sector.brands, brand)
        elif name in ("H", "H2"):
            values["H"], values["H2"] = hours
        elif name in ("MH", "MH2"):
            values["MH"], values["MH2"] = maint
        elif name == "APP":
            values[name] = rng.choice((f"{brand} 앱", f"{brand} 앱", f"{brand}앱", f"{brand} 어플"))
        elif name == "XB":
            values[name] = _other(rng, ALL_BRANDS, brand)
        elif name in sector.slots:
            values[name] = rng.choice(sector.slots[name])
        else:
            values[name] = _GLOBAL[name](rng)

    def put(m: re.Match[str]) -> str:
        value = values[m[1]]
        return value + josa(value, m[2]) if m[2] else value

    text = _SLOT.sub(put, frame)
    if text.startswith(f"{brand} ") and rng.random() < 0.15:  # brands are often written with a topic particle
        text = brand + josa(brand, "은") + text[len(brand):]
    return text


# ---- register transforms ----------------------------------------------------------------------------------------
_B = r"(?=[\s?!.,~^;…]|$)"
_PRE_YO = "어아해돼와워줘져네나래대가까데든게군고서걸지봐라겨려쳐"


def _with_final(char: str, final: int) -> str:
    """`char` with its 받침 replaced by `final`."""
    code = ord(char) - 0xAC00
    return chr(0xAC00 + code - code % 28 + final)


def _hamnida(text: str) -> str:
    """합니다/습니다/입니다 → 함/음/임 (also for -니까 questions)."""
    text = re.sub(r"습니(?:다|까)" + _B, "음", text)
    return re.sub(r"([가-힣])니(?:다|까)" + _B, lambda m: _with_final(m[1], 16) if _final(m[1]) == 17 else m[0], text)


def _banmal(text: str) -> str:
    """해요체 endings to 반말."""
    text = _hamnida(text)
    for old, new in (("계신가요", "있나"), ("주세요", "줘"), ("가세요", "가냐"), ("세요", "셈"), ("이에요", "이야"),
                     ("예요", "야"), ("에요", "야"), ("죠", "지")):
        text = re.sub(old + _B, new, text)
    return re.sub(f"([{_PRE_YO}])요" + _B, r"\1", text)


def _eum(text: str) -> str:
    """음슴체: 했어요 → 했음, 해요 → 함, 예정이에요 → 예정임; the rest as 반말."""
    text = re.sub(r"([가-힣])어요" + _B, lambda m: m[1] + "음" if _final(m[1]) in (18, 20) else m[0], text)
    for old, new in (("해요", "함"), ("돼요", "됨"), ("이에요", "임"), ("예요", "임"), ("와요", "옴")):
        text = re.sub(old + _B, new, text)
    return _banmal(text)


def _yeo(text: str) -> str:
    """인터넷체 요 → 여 (했어여, 오나여?)."""
    text = re.sub(r"([세에예])요" + _B, r"\1여", text)
    return re.sub(f"([{_PRE_YO}])요" + _B, r"\1여", text)


REGISTERS: tuple[tuple[str, float, Callable[[str], str]], ...] = (
    ("polite", 0.42, lambda t: t), ("banmal", 0.25, _banmal), ("eum", 0.18, _eum), ("yeo", 0.15, _yeo),
)
_KONGLISH = (("고객센터", "CS센터"), ("업데이트", "업뎃"), ("이벤트", "event"), ("할인", "세일"), ("신제품", "신상"),
             ("앱으로", "어플로"), ("앱(?!으로)", "어플"), ("리뷰", "review"), ("공지", "notice"), ("쿠폰", "coupon"),
             ("오픈", "open"), ("라이브 방송", "라방"), ("로그인", "login"), ("품질", "퀄리티"))
_MISSPELL = ((r"돼요", "되요"), (r"됐", "됬"), (r"안 (?=[가-힣])", "않"), (r"며칠", "몇일"), (r"어떡", "어떻"),
             (r"거예요", "거에요"), (r"이에요", "이예요"), (r"결제", "결재"), (r"어이없", "어의없"),
             (r"되나요", "돼나요"), (r"되는", "돼는"), (r"금세", "금새"), (r"뭐예요", "뭐에요"), (r"할게요", "할께요"),
             (r"갈게요", "갈께요"), (r"쓸게요", "쓸께요"), (r"오랜만", "오랫만"), (r"일부러", "일부로"))
_NEVER_TOUCH = ("안", "않", "못", "없", "왜", "또", "?")


def _typo(text: str, rng: random.Random) -> str:
    """One typing slip: a dropped or swapped syllable inside a longer word, or a common 맞춤법 error."""
    if rng.random() < 0.5:
        options = [(old, new) for old, new in _MISSPELL if re.search(old, text)]
        if options:
            old, new = rng.choice(options)
            return re.sub(old, new, text, count=1)
    words = text.split(" ")
    spots = [i for i, w in enumerate(words)
             if len(w) >= 4 and re.fullmatch(r"[가-힣]+", w) and not any(c in w for c in _NEVER_TOUCH)]
    if not spots:
        return text
    i = rng.choice(spots)
    w = words[i]
    j = rng.randint(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1:] if rng.random() < 0.5 else w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def _spacing(text: str, rng: random.Random) -> str:
    """붙여쓰기 (all or some spaces dropped) or a stray space inside a word."""
    roll = rng.random()
    if roll < 0.4:
        return text.replace(" ", "")
    if roll < 0.8:
        return re.sub(" ", lambda _: "" if rng.random() < 0.5 else " ", text)
    words = text.split(" ")
    spots = [i for i, w in enumerate(words) if len(w) >= 3 and re.fullmatch(r"[가-힣]+", w)]
    if spots:
        i = rng.choice(spots)
        j = rng.randint(1, len(words[i]) - 1)
        words[i] = words[i][:j] + " " + words[i][j:]
    return " ".join(words)


_TAILS_ALL = (
    "ㅋㅋ", "ㅋㅋㅋ", "ㅋㅋㅋㅋ", "ㅎㅎ", "ㅎㅎㅎ", "ㅠㅠ", "ㅜㅜ", "ㄷㄷ", "??", "!!", "~~", ";;", "..", "ㅎ", "^^",
)
_EMOJI = {
    "all": ("😅", "😂", "👀", "🤔", "😭", "✨", "🙏", "🤣"),
    "neutral": ("📦", "📢", "🗓️", "📱", "📌", "🔔", "ℹ️"),
    "negative": ("😡", "🤬", "😤", "😩", "💢", "🙄", "😒", "😞"),
    "positive": ("😍", "🥰", "👍", "💕", "❤️", "👏", "🫶", "😋", "🔥"),
}
_PREFIXES = ("ㅇㅇ ", "아 ", "근데 ", "헐 ", "오 ", "ㄹㅇ ", "와 ", "흠 ", "솔직히 ")
_HASHTAGS = {
    "all": ("#일상", "#정보공유", "#후기", "#내돈내산", "#오늘의기록", "#광고아님", "#소비기록"),
    "neutral": ("#공지", "#신제품", "#이벤트", "#정보", "#뉴스", "#질문", "#궁금"),
    "negative": ("#불매", "#최악", "#고객센터", "#실망", "#환불요청", "#개선좀"),
    "positive": ("#강추", "#재구매", "#만족", "#인생템", "#최고", "#추천"),
}


def _handle(rng: random.Random, sector: Sector) -> str:
    """A reply handle: the brand's account or another user's."""
    if rng.random() < 0.5:
        slug = rng.choice(sector.brands).split("/")[1]
        return "@" + slug + rng.choice(("", "_official", "_cs", "_kr", "_help"))
    return "@" + rng.choice(_HANDLE_WORDS) + rng.choice(("", "_", ".")) + str(rng.randint(0, 99))


def _decorate(text: str, label: str, kind: str, sector: Sector, rng: random.Random) -> str:
    """Apply register, Konglish, typos, spacing and social-media extras to a filled frame."""
    if kind != "sarcasm" and rng.random() < 0.22:
        text = text.rstrip() + " " + rng.choice(CLOSERS[kind if label == "neutral" else label])
    roll, acc = rng.random(), 0.0
    for _, weight, transform in REGISTERS:
        acc += weight
        if roll < acc:
            text = transform(text)
            break
    if rng.random() < 0.12:
        options = [(old, new) for old, new in _KONGLISH if re.search(old, text)]
        if options:
            old, new = rng.choice(options)
            text = re.sub(old, new, text, count=1)
    if rng.random() < 0.15:
        text = _typo(text, rng)
    if rng.random() < 0.16:
        text = _spacing(text, rng)
    if rng.random() < 0.08:
        prefix = rng.choice(_PREFIXES)
        text = text if text.startswith(prefix.strip()) else prefix + text
    if rng.random() < 0.38:
        if rng.random() < 0.6:
            tail = rng.choice(_TAILS_ALL)
        else:
            tail = rng.choice(_EMOJI["all"] if rng.random() < 0.4 else _EMOJI[label]) * rng.choice((1, 1, 2))
        text += rng.choice(("", " ")) + tail
    if rng.random() < 0.07:
        text = _handle(rng, sector) + " " + text
    if rng.random() < 0.09:
        brand_tag = "#" + re.sub(r"[^\w]", "", _brand(rng.choice(sector.brands)))
        tags = [brand_tag, rng.choice(_HASHTAGS["all"] if rng.random() < 0.5 else _HASHTAGS[label])]
        text += " " + " ".join(tags[: rng.randint(1, 2)])
    if rng.random() < 0.05 and "https://" not in text:
        text += " " + _url(rng)
    return re.sub(r"\s+", " ", text).strip()


# ---- generation -------------------------------------------------------------------------------------------------
def _compatible() -> dict[str, list[tuple[str, list[Sector]]]]:
    """For each kind, its frames with the sectors that can fill them."""
    table: dict[str, list[tuple[str, list[Sector]]]] = {}
    for kind, frames in FRAMES.items():
        table[kind] = [(f, [s for s in SECTORS if _needs(f, s)]) for f in frames]
        table[kind] = [(f, sectors) for f, sectors in table[kind] if sectors]
    return table


def generate(per_class: int = 12000, seed: int = 20261203) -> list[SocialPost]:
    """`per_class` unique posts per label (fewer only if the space runs out), deterministic for `seed`."""
    rng = random.Random(seed)
    table = _compatible()
    seen: set[str] = set()
    posts: list[SocialPost] = []
    for label in LABELS:
        kinds, weights = KINDS[label], KIND_WEIGHTS[label]
        made, attempts = 0, 0
        while made < per_class and attempts < per_class * 40 + 1000:
            attempts += 1
            kind = rng.choices(kinds, weights)[0]
            frame, sectors = rng.choice(table[kind])
            sector = rng.choice(sectors)
            text = _decorate(_fill(frame, sector, rng), label, kind, sector, rng)
            text = text.replace("\t", " ").replace("\n", " ")
            if text in seen:
                continue
            seen.add(text)
            posts.append(SocialPost(text, label, kind))
            made += 1
    return posts


def write_tsv(posts: Sequence[SocialPost], path: Path) -> None:
    """Write `label\\tkind\\ttext` with a header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["label\tkind\ttext"] + [f"{p.label}\t{p.kind}\t{p.text}" for p in posts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _print_counts(posts: Sequence[SocialPost]) -> None:
    """Counts per label × kind, as a rich table when rich is installed."""
    counts = Counter((p.label, p.kind) for p in posts)
    rows = [(label, kind, counts[label, kind]) for label in LABELS for kind in KINDS[label]]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        for label, kind, n in rows:
            print(f"{label:<9} {kind:<19} {n:>6}")
        print(f"{'total':<29} {len(posts):>6}")
        return
    table = Table("label", "kind", "posts", title="Korean social corpus")
    for label, kind, n in rows:
        table.add_row(label, kind, str(n))
    table.add_row("total", "", str(len(posts)))
    Console().print(table)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: generate the corpus, write it as TSV and print counts per label × kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=12000)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--out", type=Path, default=Path("data/ko_social_train.tsv"))
    args = parser.parse_args(argv)
    posts = generate(args.per_class, args.seed)
    write_tsv(posts, args.out)
    _print_counts(posts)
    print(f"wrote {len(posts)} posts to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
