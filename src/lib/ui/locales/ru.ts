import type { StringKey } from './en.js';

/**
 * The Russian strings: every key of the English table, with the same parameters
 * (`tests/unit/ui/locales.test.ts` checks both).
 *
 * @remarks
 * Written for therapists and their clients: formal «вы» in lower case, short sentences, no
 * machine-literal calques. Names are never declined, so a sentence puts a `{name}` where the
 * nominative fits ("Новую ссылку может прислать {inviter}", not "Попросите {inviter}"). Counts
 * use all four Russian plural forms (`one` 1, 21; `few` 2–4, 22; `many` 5–20, 25; `other`
 * fractions). Titles the person typed are quoted with «».
 */
export const ru = {
	'app.name': 'Tend',
	'app.skipToContent': 'Перейти к основному содержимому',
	'app.settings': 'Настройки',
	'app.home': 'Tend, перейти к беседам',
	'app.starting': 'Открываем Tend…',
	'app.startingHint': 'Расшифровываем ваши беседы на этом устройстве.',
	'app.failedTitle': 'Не удалось запустить Tend',
	'app.failedBody':
		'Ваши беседы по-прежнему хранятся на этом устройстве. Обычно помогает перезагрузить страницу.',
	'app.failedDetail': 'Подробности: {detail}',
	'app.reload': 'Перезагрузить Tend',

	'update.available': 'Готова новая версия Tend (сборка {build}).',
	'update.hint': 'При обновлении Tend перезагрузится. Написанные вами сообщения сохранятся.',
	'update.now': 'Обновить сейчас',
	'update.later': 'Позже',
	'update.offlineReady': 'Теперь Tend может работать на этом устройстве без интернета.',
	'update.dismiss': 'Закрыть',

	'connection.label': 'Связь: {state}',
	'connection.online': 'В сети',
	'connection.connecting': 'Подключение…',
	'connection.offline': 'Нет связи',
	'connection.offlineBanner':
		'Нет связи. Сообщения сохраняются на этом устройстве и будут отправлены, когда связь восстановится.',
	'app.otherTab':
		'Tend открыт ещё в одной вкладке, и связь поддерживает она. Здесь можно читать и отправлять сообщения, а создавать беседы и приглашения — в той вкладке.',
	'app.readOnly':
		'Tend уже открыт в другой вкладке или окне. Здесь доступен только просмотр; писать можно там.',

	'onboarding.title': 'Добро пожаловать в Tend',
	'onboarding.privacy':
		'Ваши сообщения защищены сквозным шифрованием и хранятся на этом устройстве только в зашифрованном виде.',
	'onboarding.nameLabel': 'Ваше имя',
	'onboarding.nameHint':
		'Под этим именем вас увидят участники бесед. Достаточно одного имени.',
	'onboarding.submit': 'Продолжить',
	'onboarding.busy': 'Настраиваем…',
	'onboarding.failed': 'Не удалось настроить Tend на этом устройстве. Попробуйте ещё раз.',
	'form.nameRequired': 'Введите имя.',

	'home.title': 'Беседы',
	'home.new': 'Новая беседа',
	'home.emptyTitle': 'Бесед пока нет',
	'home.emptyBody':
		'Создайте беседу и отправьте ссылку-приглашение. Человек откроет её на своём телефоне или планшете, а вы впустите его в беседу.',
	'home.previewMine': 'Вы: {text}',
	'home.previewOther': '{name}: {text}',
	'home.noMessages': 'Сообщений пока нет',
	'home.with': 'Участники: {names}',
	'home.pendingRegion': 'Принятые приглашения',
	'home.pendingTitle': 'Вход в беседу «{title}»',
	'home.pendingTitleNoName': 'Вход в беседу',
	'home.waiting': '{count, plural, one {# ждёт} few {# ждут} many {# ждут} other {# ждут}}',
	'home.waitingLabel':
		'{count, plural, one {# человек хочет присоединиться} few {# человека хотят присоединиться} many {# человек хотят присоединиться} other {# человека хотят присоединиться}}',

	'new.title': 'Новая беседа',
	'new.titleLabel': 'Название беседы',
	'new.titleHint':
		'Например, «Еженедельная встреча с Сэмом». Название видят только участники беседы.',
	'new.titleRequired': 'Введите название беседы.',
	'new.submit': 'Создать беседу',
	'new.busy': 'Создаём…',
	'new.cancel': 'Отмена',
	'new.failed': 'Не удалось создать беседу. Попробуйте ещё раз.',

	'conversation.loading': 'Открываем беседу…',
	'conversation.pageTitle': 'Беседа',
	'conversation.missing':
		'На этом устройстве такой беседы нет. Если вам прислали ссылку, откройте её ещё раз или попросите прислать новую.',
	'conversation.back': 'Все беседы',
	'conversation.members': 'Участники',
	'conversation.memberMe': '{name} (вы)',
	'conversation.memberOwner': '{name} (владелец)',
	'conversation.messages': 'Сообщения',
	'conversation.empty': 'Сообщений пока нет. Поздоровайтесь, чтобы начать беседу.',
	'conversation.emptyAlone':
		'Здесь пока никого нет. Нажмите «Пригласить», чтобы отправить ссылку тому, с кем хотите поговорить.',
	'conversation.problemsTitle': 'Обратите внимание',
	'problem.unverified':
		'{count, plural, =1 {Одно сообщение не удалось проверить, поэтому оно не показано.} one {# сообщение не удалось проверить, поэтому оно не показано.} few {# сообщения не удалось проверить, поэтому они не показаны.} many {# сообщений не удалось проверить, поэтому они не показаны.} other {# сообщения не удалось проверить, поэтому они не показаны.}}',
	'problem.withheld': 'Некоторые сообщения ещё не пришли (автор: {name}).',
	'problem.someone': 'неизвестен',
	'problem.badSnapshot':
		'Сервер предложил сокращённую историю этого разговора, но она не сошлась. Tend её отклонил и загрузил всю историю.',
	'problem.waiting': 'Некоторые сообщения ждут более ранних, которые ещё не пришли.',
	'problem.authorMismatch': 'У одного из сообщений указан неверный автор; оно помечено.',

	'composer.remaining':
		'{count, plural, one {Остался # символ} few {Осталось # символа} many {Осталось # символов} other {Осталось # символа}} (в сообщении может быть до {max, number} символов).',
	'message.you': 'Вы',
	'message.saving': 'Сохраняется…',
	'message.saved': 'Сохранено на устройстве',
	'message.delivered': 'Отправлено',
	'message.authorMismatch':
		'Не удалось подтвердить, кто написал это сообщение. Прежде чем на него полагаться, уточните у отправителя.',

	'composer.attach': 'Прикрепить файлы или фото',
	'composer.record': 'Записать голосовое сообщение',
	'composer.recording': 'Идёт запись {time}',
	'composer.stopRecording': 'Остановить и сохранить запись',
	'composer.cancelRecording': 'Удалить запись',
	'composer.micDenied':
		'Tend не получил доступ к микрофону. Разрешите его в настройках браузера, чтобы записать голосовое сообщение.',
	'composer.noRecorder': 'Этот браузер не умеет записывать голосовые сообщения.',
	'composer.pending': 'Будет отправлено с сообщением',
	'composer.removeFile': 'Убрать {name}',
	'composer.fileTooLarge': 'Файл {name} больше 24 МБ, его нельзя отправить.',
	'composer.filesHint': 'Файлы можно также перетащить сюда или вставить.',
	'composer.filesOtherTab': 'Файлы можно отправлять из вкладки Tend, открытой первой.',
	'composer.dropHere': 'Отпустите файлы, чтобы прикрепить их',
	'composer.preparing': 'Файл готовится…',
	'attachment.photo': 'Фото',
	'attachment.voice': 'Голосовое сообщение',
	'attachment.file': 'Файл',
	'attachment.openPhoto': 'Открыть фото {name}',
	'attachment.save': 'Сохранить',
	'attachment.play': 'Воспроизвести голосовое сообщение',
	'attachment.pause': 'Пауза',
	'attachment.position': 'Позиция в голосовом сообщении',
	'attachment.queued': 'Ждёт подключения, чтобы загрузиться',
	'attachment.uploading': 'Загружается… {percent, number}%',
	'attachment.downloading': 'Скачивается… {percent, number}%',
	'attachment.saved': 'Сохранено на устройстве',
	'attachment.unavailable': 'Ещё не загружено. Попробуйте позже.',
	'attachment.offline': 'Без подключения скачать нельзя.',
	'attachment.damaged': 'Файл не прошёл проверку Tend и не был открыт.',
	'attachment.refusedSize': 'Слишком большой для сервера. Не отправлено.',
	'attachment.refusedQuota': 'На сервере закончилось место для файлов этого разговора. Не отправлено.',
	'attachment.retry': 'Попробовать ещё раз',
	'attachment.close': 'Закрыть',
	'attachment.photoDialog': 'Фото',
	'composer.label': 'Сообщение',
	'composer.placeholder': 'Напишите сообщение',
	'composer.hint': 'Enter — отправить, Shift+Enter — новая строка.',
	'composer.send': 'Отправить',
	'composer.readOnly':
		'Писать здесь нельзя: Tend открыт в другой вкладке или окне. Пишите там.',
	'composer.failed':
		'Не удалось сохранить сообщение. Текст остался в поле — попробуйте ещё раз.',

	'invite.open': 'Пригласить',
	'invite.close': 'Закрыть',
	'invite.title': 'Пригласить в беседу',
	'invite.explain':
		'Каждая ссылка — для одного человека. Отправьте её лично, например в SMS. Когда человек откроет ссылку, вы сверите короткий код и впустите его.',
	'invite.create': 'Создать ссылку-приглашение',
	'invite.creating': 'Создаём ссылку…',
	'invite.failed': 'Не удалось создать ссылку-приглашение. Попробуйте ещё раз.',
	'invite.linkLabel': 'Ссылка-приглашение',
	'invite.share': 'Поделиться…',
	'invite.copy': 'Копировать ссылку',
	'invite.copied': 'Ссылка скопирована',
	'invite.copyFailed': 'Здесь копирование недоступно. Выделите ссылку и скопируйте её.',
	'invite.qrLabel':
		'QR-код ссылки-приглашения. Отсканируйте его камерой телефона, чтобы открыть ссылку.',
	'invite.expires': 'Действует до {date}',
	'invite.stateOpen': 'Ещё не использована',
	'invite.stateClaimed':
		'Ссылкой уже воспользовались. Прежде чем впустить человека, сверьте код в его запросе.',
	'invite.revoke': 'Отменить ссылку',
	'invite.revoking': 'Отменяем…',
	'invite.revokeFailed': 'Не удалось отменить ссылку. Попробуйте ещё раз.',
	'invite.none': 'Открытых ссылок-приглашений нет.',

	'request.title': '{name} хочет присоединиться.',
	'request.askCode': 'Попросите назвать код:',
	'request.onlyIfMatches': 'Впускайте, только если код совпадает.',
	'request.admit': 'Впустить',
	'request.decline': 'Отклонить',
	'request.failed': 'Не получилось. Попробуйте ещё раз.',
	'request.region': 'Запросы на вход',
	'request.readOnly':
		'Впустить человека можно только в той вкладке или окне, где в Tend можно писать.',

	'join.pageTitle': 'Вход в беседу',
	'home.pendingCancel': 'Перестать ждать',
	'join.checking': 'Проверяем приглашение…',
	'join.invited': '{inviter} приглашает вас в беседу «{title}»',
	'join.invitedNoTitle': 'Вас пригласили в беседу',
	'join.privacy':
		'Сообщения в Tend защищены сквозным шифрованием и хранятся на этом устройстве только в зашифрованном виде.',
	'join.nameLabel': 'Ваше имя',
	'join.nameHint': 'Это имя увидят {inviter} и другие участники беседы.',
	'join.nameHintGeneric': 'Это имя увидят другие участники беседы.',
	'join.submit': 'Присоединиться',
	'join.busy': 'Отправляем запрос…',
	'join.failedAccept': 'Не удалось отправить запрос. Попробуйте ещё раз.',
	'join.waiting': 'Ждём, пока {inviter} впустит вас.',
	'join.waitingGeneric': 'Ждём, пока вас впустят.',
	'join.yourCode': 'Если вас спросят, ваш код:',
	'join.keepOpen': 'Не закрывайте эту страницу. Как только вас впустят, всё продолжится само.',
	'join.admitted': 'Вас впустили. Открываем беседу…',
	'join.someone': 'тот, кто вас пригласил',
	'join.invalidTitle': 'Эта ссылка-приглашение не работает',
	'join.invalidBody':
		'Возможно, ссылка неполная или была изменена. Попросите того, кто вас пригласил, прислать новую.',
	'join.expiredTitle': 'Срок действия приглашения истёк',
	'join.expiredBody':
		'Ссылки-приглашения действуют ограниченное время. Новую ссылку может прислать {inviter}.',
	'join.claimedTitle': 'Этой ссылкой уже воспользовались',
	'join.claimedBody':
		'Каждая ссылка действует только для одного человека. Новую ссылку может прислать {inviter}.',
	'join.revokedTitle': 'Это приглашение отменено',
	'join.revokedBody':
		'Если вы всё ещё хотите присоединиться, новую ссылку может прислать {inviter}.',
	'join.offlineTitle': 'Сейчас нет связи с Tend',
	'join.offlineBody':
		'Проверьте, что устройство подключено к интернету. Tend продолжает попытки — больше ничего делать не нужно.',
	'join.failedTitle': 'Что-то пошло не так',
	'join.failedBody':
		'Откройте ссылку-приглашение ещё раз. Если не получится, попросите прислать новую ссылку.',
	'join.missingTitle': 'Откройте ссылку-приглашение ещё раз',
	'join.missingBody':
		'Ради вашей безопасности Tend убирает приглашение из адресной строки сразу после прочтения, поэтому эту страницу нельзя перезагрузить. Откройте ссылку ещё раз из полученного сообщения.',
	'join.goHome': 'Перейти в Tend',

	'quick.reminderTitle': 'Напоминание о встрече',
	'quick.reminderBody':
		"Здравствуйте, {client}! Напоминаю о нашей встрече {date} в {time}. Если нужно перенести, просто напишите здесь.",
	'quick.lateTitle': 'Опаздываю на 5 минут',
	'quick.lateBody':
		"Здравствуйте, {client}! Я опаздываю примерно на 5 минут и скоро буду. Спасибо, что подождёте.",
	'quick.groundingTitle': 'Упражнение на заземление',
	'quick.groundingBody':
		"Здравствуйте, {client}! Когда становится слишком тяжело, попробуйте так: назовите 5 вещей, которые видите, 4 — которых можете коснуться, 3 — которые слышите, 2 — запах которых чувствуете, и 1 — вкус которой ощущаете. Между ними делайте медленный вдох.",
	'quick.open': 'Шаблоны',
	'quick.close': 'Закрыть шаблоны',
	'quick.listLabel': 'Выберите шаблон',
	'quick.fill': 'Заполните подробности',
	'quick.placeholderLabel': 'Значение для {name}',
	'quick.insert': 'Вставить в поле сообщения',
	'quick.back': 'Назад к списку',
	'quick.preview': 'Предпросмотр',
	'quick.none': 'Шаблонов пока нет. Добавьте их в настройках.',
	'quick.settingsTitle': 'Шаблоны ответов',
	'quick.settingsHint':
		"Готовые сообщения, которые можно вставить в беседу в два касания. Слова в фигурных скобках, например {client} или {time}, заполняются перед отправкой. Хранятся в зашифрованном виде только на этом устройстве.",
	'quick.titleLabel': 'Название',
	'quick.bodyLabel': 'Сообщение',
	'quick.add': 'Добавить шаблон',
	'quick.remove': 'Удалить «{title}»',
	'quick.save': 'Сохранить шаблоны',
	'quick.saving': 'Сохраняем…',
	'quick.saved': 'Шаблоны сохранены.',
	'quick.failed': 'Не удалось сохранить шаблоны. Попробуйте ещё раз.',
	'quick.newTitle': 'Новый шаблон',

	'hours.settingsTitle': 'Часы приёма',
	'hours.settingsHint':
		'Клиенты видят их в беседах, которые вы начали, вместе с обычным временем ответа и экстренной линией, если пишут в нерабочее время. Они зашифрованы так же, как ваши сообщения.',
	'hours.timeZone': 'Часовой пояс',
	'hours.dayOn': 'Работаю в {day}',
	'hours.from': 'С',
	'hours.until': 'До',
	'hours.fromOn': '{day}, с',
	'hours.untilOn': '{day}, до',
	'hours.replyTime': 'Обычно отвечаю в течение',
	'hours.replyHours': '{count, plural, one {# часа} few {# часов} many {# часов} other {# часа}}',
	'hours.emergency': 'Экстренная линия',
	'hours.emergencyHint': 'Клиенты видят её в нерабочее время и сразу, если клиент пишет о кризисе. Оставьте пустым, чтобы показывать текст по умолчанию.',
	'hours.save': 'Сохранить часы приёма',
	'hours.saving': 'Сохраняем…',
	'hours.saved': 'Часы приёма сохранены и доступны вашим клиентам.',
	'hours.failed': 'Не удалось сохранить часы приёма. Попробуйте ещё раз.',
	'hours.invalid': 'Время окончания должно быть позже времени начала.',
	'hours.notSet': 'Пока не заданы: клиенты не видят часов приёма.',

	'boundaries.defaultEmergency': 'Если вам очень плохо, позвоните или напишите по номеру 988',
	'boundaries.outsideTitle': '{name} сейчас не на связи',
	'boundaries.outsideNext': 'Ближайшее время приёма: {time} (по вашему времени).',
	'boundaries.outsideNoNext': 'На ближайшие дни часы приёма не заданы.',
	'boundaries.replyTime':
		'{count, plural, one {В часы приёма ответ обычно приходит в течение # часа.} few {В часы приёма ответ обычно приходит в течение # часов.} many {В часы приёма ответ обычно приходит в течение # часов.} other {В часы приёма ответ обычно приходит в течение # часа.}}',
	'boundaries.outsideSend': 'Сообщение можно отправить и сейчас: его прочтут, когда {name} вернётся.',
	'boundaries.crisisTitle': 'Вы не одни',
	'boundaries.crisisBody': 'Ваш терапевт может увидеть это сообщение не сразу.',
	'boundaries.phiTitle': 'В сообщении могут быть личные медицинские сведения',
	'boundaries.phiBodyGroup': 'Его прочитают все участники группы. Найдено:',
	'boundaries.phiBodyAnnouncements':
		'Его прочитают все участники канала объявлений. Найдено:',
	'boundaries.phiName': 'имя',
	'boundaries.phiBirthDate': 'дата рождения',
	'boundaries.phiPhone': 'номер телефона',
	'boundaries.phiRecordNumber': 'номер карты или документа',
	'boundaries.phiDiagnosisCode': 'код диагноза',
	'boundaries.phiMedicationDose': 'дозировка лекарства',
	'boundaries.phiMarked': 'Части, похожие на личные данные, отмечены:',
	'boundaries.sendAnyway': 'Всё равно отправить',
	'boundaries.edit': 'Исправить сообщение',
	'problem.availabilityForged':
		'Часы приёма в этой беседе изменил не тот, кому они принадлежат, поэтому они не показаны.',

	'search.open': 'Поиск',
	'search.title': 'Поиск',
	'search.label': 'Искать в сообщениях',
	'search.hint':
		'Ищет во всех беседах на этом устройстве. То, что вы вводите здесь, остаётся на устройстве и не сохраняется.',
	'search.shortcut': 'Быстрый вызов: Ctrl+K или /, когда вы не печатаете.',
	'search.filters': 'Фильтры',
	'search.conversation': 'Беседа',
	'search.allConversations': 'Все беседы',
	'search.person': 'Автор',
	'search.anyone': 'Любой',
	'search.personMe': '{name} (вы)',
	'search.from': 'С',
	'search.to': 'По',
	'search.clear': 'Сбросить фильтры',
	'search.results':
		'{count, plural, one {Найдено # сообщение} few {Найдено # сообщения} many {Найдено # сообщений} other {Найдено # сообщения}}',
	'search.showing': 'Показаны лучшие {shown, number}. Добавьте слово или фильтр, чтобы сузить поиск.',
	'search.none': 'Ничего не найдено. Попробуйте меньше слов или более короткие слова, или сбросьте фильтры.',
	'search.empty': 'Введите слово или два, чтобы искать в беседах.',
	'search.searching': 'Ищем…',
	'search.failed': 'Поиск не удался. Попробуйте ещё раз.',
	'search.resultLabel': '{author} в беседе «{title}», {time}',
	'search.you': 'Вы',
	'conversation.jumpMissing': 'Этого сообщения больше нет в беседе.',
	'conversation.jumpFound': 'Показано сообщение, выбранное в поиске.',

	'settings.version': 'Версия Tend: {build}',
	'settings.title': 'Настройки',
	'settings.profile': 'Профиль',
	'settings.name': 'Имя',
	'settings.noName': 'Ещё не задано',
	'settings.device': 'Это устройство',
	'settings.deviceHint':
		'Этот код обозначает ваше устройство. По нему собеседники могут убедиться, что это действительно вы.',
	'settings.relay': 'Адрес сервера пересылки',
	'settings.relayHint':
		'Сервер передаёт ваши зашифрованные сообщения между устройствами, но прочитать их не может. Меняйте адрес, только если вас об этом попросили в вашей практике.',
	'settings.relayEdit': 'Изменить адрес сервера',
	'settings.relaySave': 'Сохранить адрес',
	'settings.relaySaving': 'Сохраняем…',
	'settings.relayCancel': 'Отмена',
	'settings.relayInvalid': 'Введите адрес, который начинается с wss:// или ws://.',
	'settings.relayFailed':
		'Не удалось изменить адрес сервера. Проверьте его и попробуйте ещё раз.',
	'settings.relaySaved': 'Адрес сервера сохранён.',
	'settings.protectionTitle': 'Защита',
	'settings.notProtectedTitle': 'Это устройство не защищено парольной фразой',
	'settings.notProtectedBody':
		'Ваши беседы хранятся в зашифрованном виде, но ключ к ним лежит в этом браузере. Любой, кто может открыть этот профиль браузера на этом устройстве, может прочитать ваши беседы.',
	'settings.notProtectedAdvice':
		'А пока включите на устройстве блокировку экрана и не давайте никому пользоваться вашим профилем браузера.',
	'settings.notProtectedComing':
		'Защита парольной фразой появится в одном из следующих обновлений.',
	'settings.protected':
		'Это устройство защищено парольной фразой. Прочитать беседы можно только после её ввода.',
	'settings.storageTitle': 'Хранилище',
	'settings.storagePersistent':
		'Браузер сохраняет данные Tend на этом устройстве, даже когда заканчивается место.',
	'settings.storageNotPersistent':
		'Браузер может удалить данные Tend, если на устройстве закончится место. Чтобы этого не случилось, обычно достаточно добавить Tend на главный экран.',

	'settings.languageTitle': 'Язык',
	'settings.languageLabel': 'Язык приложения',
	'settings.languageHint':
		'Меняет язык кнопок и подсказок Tend на этом устройстве. Сообщения показываются так, как их написали.',

	'members.open': 'Участники',
	'members.title': 'Участники разговора',
	'members.close': 'Закрыть',
	'members.you': 'Вы',
	'members.owner': 'Владелец',
	'members.member': 'Участник',
	'members.remove': 'Удалить из разговора',
	'members.confirmTitle': 'Удалить {name} из этого разговора?',
	'members.confirmText':
		'Их устройства перестанут получать новые сообщения и больше не смогут писать здесь. То, что у них уже есть, останется у них. Чтобы вернуть человека, отправьте новое приглашение.',
	'members.confirmRemove': 'Да, удалить',
	'members.cancel': 'Отмена',
	'members.removing': 'Удаляем…',
	'members.removeFailed':
		'Не удалось удалить. Проверьте подключение и попробуйте ещё раз; пока ничего не изменилось.',
	'members.removedNotice':
		'Вас удалили из этого разговора. Вы можете читать то, что у вас уже есть, но новые сообщения больше не приходят на это устройство, и писать здесь нельзя.'
} as const satisfies Record<StringKey, string>;
