"""Response bodies of the libraries API."""

from datetime import date

from pydantic import BaseModel

from app.checklists.schema import AreaDef, Library, ProductDef


class OverdueReview(BaseModel):
    """A product whose facts (label, price, supply) were due to be checked again before today."""

    product: str
    name: str
    review_by: date


class LibrarySummary(BaseModel):
    id: str
    version: str
    title: str
    description: str
    products: list[ProductDef]
    jurisdictions: list[str]
    areas: list[AreaDef]
    item_count: int
    has_coverage: bool
    overdue_reviews: list[OverdueReview]

    @classmethod
    def of(cls, library: Library, today: date) -> "LibrarySummary":
        return cls(
            id=library.id,
            version=library.version,
            title=library.title,
            description=library.description,
            products=library.products,
            jurisdictions=library.jurisdictions,
            areas=library.areas,
            item_count=len(library.items),
            has_coverage=library.coverage is not None,
            overdue_reviews=[
                OverdueReview(product=p.id, name=p.name, review_by=p.review_by)
                for p in library.overdue_reviews(today)
                if p.review_by is not None
            ],
        )
