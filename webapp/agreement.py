"""The binding agreement: versioned text in each language, and the digest of what was shown."""

import hashlib

VERSION = "2026-11"

TEXT = {
    "en": """Social security card binding agreement (version 2026-11)

1. What this agreement covers. You ask us to link the social security card named in your application to the bank account you chose, so that you can see your social security information and pay social insurance fees in online banking.

2. Your information. To check your application we compare your name, resident ID number, card number and insured region with the social security registry, and your ID number with our own records of you. We keep these details encrypted and show them masked. We use them only for the binding and the services that follow from it, and keep them for as long as the law requires after the binding ends.

3. Proving it is you. We send a one-time code to the mobile number reserved for the chosen account. Entering that code is your electronic signature of this agreement under the Electronic Signature Law of the PRC. Never give the code to anyone, including our staff.

4. Payments. Fees you choose to pay are taken from the bound account only after you confirm each payment with a new code.

5. Ending the binding. You may unbind at any time in online banking or by calling us. If the registry reports your card lost, frozen or cancelled, we suspend the services until it is resolved.

6. Records. We keep a record of your consent, the text you agreed to, the time and the code check, sealed so that any later change can be detected. You can view it at any time.
""",
    "zh": """社保卡绑定协议（2026-11 版）

一、协议范围。您申请将申请中填写的社保卡与您选择的银行账户关联，以便在网上银行查询社保信息、缴纳社会保险费。

二、您的信息。为审核申请，我们会将您的姓名、身份证号码、社保卡号和参保地与社会保障登记信息核对，并将身份证号码与本行留存的您的身份信息核对。上述信息加密保存、脱敏展示，仅用于绑定及由此提供的服务，并在绑定解除后按法律要求的期限保存。

三、本人验证。我们会向所选账户的银行预留手机号发送一次性验证码。您输入该验证码，即依照《中华人民共和国电子签名法》对本协议进行电子签名。请勿将验证码告诉任何人，包括本行工作人员。

四、缴费。您选择缴纳的费用，须经您每次使用新的验证码确认后，才会从绑定账户扣款。

五、解除绑定。您可以随时在网上银行或致电本行解除绑定。如社会保障登记信息显示您的社保卡已挂失、冻结或注销，我们会暂停相关服务，直至问题解决。

六、记录保存。我们保存您的同意记录、您所同意的协议文本、时间及验证码核验结果，并加以密封，任何事后修改都可以被发现。您可以随时查看。
""",
}


def text(language):
    """The agreement text shown in this language ("zh" or "en")."""
    return TEXT["en" if language == "en" else "zh"]


def digest(language):
    """SHA-256 of the exact text shown in this language."""
    return hashlib.sha256(text(language).encode()).hexdigest()
