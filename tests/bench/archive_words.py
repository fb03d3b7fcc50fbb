"""
The words of the archive benchmark's messages (tests/bench/archive_data.py):
a mixed Russian and English vocabulary ranked for a Zipf-like draw, so that
the archive has common words (in several percent of the messages), medium
ones and rare ones (in a few dozen).

Ranks 1..~60 are function words and the commonest support words of both
languages, interleaved; then about 400 everyday support words (Russian ones
in several inflected forms, which the stemmers fold together); then made-up
words from syllables, Latin and Cyrillic, as the long tail (names, products,
typos), each with a stem of its own.
"""
from __future__ import annotations

import random
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

from imsupport.core.stemming import stem

FUNCTION_RU = "и в не на я что с по это у а как но вы мне для из до так уже".split()
FUNCTION_EN = "the to and a i is it you my of for in on not have can please this with be".split()
FUNCTION = frozenset(FUNCTION_RU + FUNCTION_EN)

# the commonest content words, placed among the function words at the top
TOP = ("заказ order доставка delivery оплата payment спасибо thanks здравствуйте hello "
       "номер number помогите help карта card").split()

CONTENT_RU = """
заказа заказу заказом заказы заказов доставки доставку доставкой доставить доставили
оплаты оплату оплатил оплатила оплатить деньги денег деньгами возврат возврата вернуть
верните товар товара товары товаров товаром карты картой карту номера номером адрес
адреса адресу курьер курьера курьеру курьером магазин магазина магазине помочь помощь
пожалуйста добрый день проблема проблемы проблему ошибка ошибки ошибку сайт сайте сайта
приложение приложении приложения пароль пароля паролем аккаунт аккаунта аккаунте счет
счета счету скидка скидки скидку промокод промокода промокодом гарантия гарантии
гарантию размер размера размеры цвет цвета посылка посылки посылку пункт выдачи статус
статуса время времени сегодня завтра вчера неделю неделя недели отменить отмена отмены
отменили изменить изменение получить получил получила получили отправить отправили
отправлен подтвердить подтверждение телефон телефона почта почты почту письмо письма
ответ ответа ответить вопрос вопроса вопросы ждать жду ждем можно нужно надо сколько
когда почему где хорошо понятно конечно минуту минут оператор оператора чек чека кредит
рассрочка рассрочки банк банка список склад склада складе упаковка упаковки брак брака
бракованный замена замены заменить менеджер менеджера сотрудник договор договора
документы документов регистрация регистрации вход войти уведомление уведомления подписка
подписки подписку тариф тарифа баланс баланса списание списали перевод перевода
реквизиты курьерская служба самовывоз трек трека отслеживание коробка коробки чехол
зарядка наушники ноутбук телефоны экран батарея кабель клавиатура мышь принтер
холодильник стиральная машина пылесос чайник диван стол стул шкаф матрас кровать
кухня посуда одежда обувь куртка платье кроссовки сумка рюкзак игрушка книга продукты
корзина корзину корзине оформить оформил оформление покупка покупки покупку цена цены
стоимость бесплатно дорого дешево акция акции бонус бонусы баллы кешбэк сертификат
подарок подарочный возможно сразу долго быстро уточнить уточните проверить проверьте
напишите сообщите подскажите скажите объясните извините жаль отлично прекрасно
""".split()

CONTENT_EN = """
orders ordered ordering deliveries deliver delivered payments pay paid refund refunds
refunded cards account accounts password address courier shipping shipped shipment
package parcel tracking track tracked item items product products price prices discount
coupon code return returns returned exchange size color warranty invoice invoices receipt
bank transfer balance subscription subscriptions cancel cancelled cancellation change
changed email emails phone support problem problems issue issues error errors website app
login status today tomorrow yesterday week thank hi wait waiting minute minutes hours
store warehouse damaged broken replacement manager contract documents registration
notification notifications plan charge charged charges checkout cart basket promo bonus
points gift voucher laptop charger headphones screen battery cable keyboard mouse printer
fridge washer vacuum kettle sofa table chair wardrobe mattress bed kitchen jacket dress
sneakers bag backpack toy book groceries quickly slowly later soon still again already
never always maybe sorry great fine okay sure understand confirm confirmed check checked
verify verified explain tell send sent receive received arrive arrived missing lost wrong
correct right left late early fast slow cheap expensive free available unavailable stock
""".split()

_SYLLABLES_EN = ("ka lo mi ter van sor pel dun rix bo na tes gor lin mar fe qui zan hol ber "
                 "cat dov el fin gra hu jor kel mun ost").split()
_SYLLABLES_RU = ("ка ло ми тер ван сор пел дун рик бо на тес гор лин мар фе зан хол бер кот "
                 "дов ель фин гра жу йор кел мун ост пра").split()


@dataclass(frozen=True)
class Vocabulary:
    """``words`` by rank (0 = commonest), the index of each word's stem in
    ``stems``, and cumulative Zipf weights for ``random.choices``."""

    words: tuple[str, ...]
    stem_of: tuple[int, ...]
    stems: tuple[str, ...]
    cum_weights: tuple[float, ...]

    def draw(self, rng: random.Random, k: int) -> list[int]:
        """``k`` word ranks, Zipf-distributed."""
        cum, total, n = self.cum_weights, self.cum_weights[-1], len(self.words) - 1
        return [min(n, bisect_right(cum, rng.random() * total)) for _ in range(k)]


def vocabulary(size: int = 20_000, exponent: float = 1.0, seed: int = 7) -> Vocabulary:
    rng = random.Random(seed)
    top: list[str] = []
    ru, en, content = list(FUNCTION_RU), list(FUNCTION_EN), list(TOP)
    while ru or en or content:
        for source in (ru, en, content):
            if source:
                top.append(source.pop(0))
    everyday = CONTENT_RU + CONTENT_EN
    rng.shuffle(everyday)
    words: list[str] = []
    seen_words: set[str] = set()
    for word in top + everyday:
        if word not in seen_words:
            seen_words.add(word)
            words.append(word)
    taken = {stem(w) for w in words}
    while len(words) < size:
        syllables = _SYLLABLES_RU if rng.random() < 0.5 else _SYLLABLES_EN
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        key = stem(word)
        if word in seen_words or key in taken:
            continue
        seen_words.add(word)
        taken.add(key)
        words.append(word)
    stems: list[str] = []
    index: dict[str, int] = {}
    stem_of = []
    for word in words:
        key = stem(word)
        if key not in index:
            index[key] = len(stems)
            stems.append(key)
        stem_of.append(index[key])
    weights = [1.0 / (rank + 1) ** exponent for rank in range(len(words))]
    return Vocabulary(tuple(words), tuple(stem_of), tuple(stems), tuple(accumulate(weights)))


def sentence(vocab: Vocabulary, ranks: list[int], rng: random.Random) -> str:
    """A message's text from its words: capitalised, a comma now and then,
    a full stop or a question mark."""
    words = [vocab.words[r] for r in ranks]
    if len(words) > 6 and rng.random() < 0.4:
        cut = rng.randint(2, len(words) - 2)
        words[cut] += ","
    text = " ".join(words)
    return text[:1].upper() + text[1:] + rng.choice(".?.!.")
